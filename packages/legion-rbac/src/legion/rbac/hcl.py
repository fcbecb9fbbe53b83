"""Vault-style HCL policies: `path "tasks/*" { capabilities = ["read"] }`, one role per text."""

from __future__ import annotations

import re
from typing import Any

import hcl2
from hcl2.utils import SerializationOptions

from legion.rbac.errors import PolicyError
from legion.rbac.lines import rule_lines
from legion.rbac.model import Role
from legion.rbac.schema import parse_role

_OPTIONS = SerializationOptions(strip_string_quotes=True, with_comments=False)
_BLOCK = "__is_block__"
# Vault policy attributes Legion does not implement: refused loudly rather than ignored.
_VAULT_ONLY = frozenset(
    {
        "allowed_parameters",
        "denied_parameters",
        "required_parameters",
        "min_wrapping_ttl",
        "max_wrapping_ttl",
        "mfa_methods",
        "control_group",
        "subscribe_event_types",
    }
)
_POSITION = re.compile(r"\s+at line \d+, column \d+\.?$")


_TOKENS = {
    "COMMA": "','",
    "RSQB": "']'",
    "LSQB": "'['",
    "RBRACE": "'}'",
    "LBRACE": "'{'",
    "EQ": "'='",
    "DBLQUOTE": "'\"'",
}


def _summary(exc: Exception) -> str:
    token = getattr(exc, "token", None)
    if token is not None:
        value = str(token).strip()[:20]
        text = f"unexpected {value!r}" if value else "unexpected end of file"
        expected = sorted(_TOKENS[e] for e in getattr(exc, "expected", ()) or () if e in _TOKENS)
        return f"{text} (expected {' or '.join(expected)})" if expected else text
    char = getattr(exc, "char", None)
    if isinstance(char, str):
        return f"unexpected character {char!r}"
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return _POSITION.sub("", first)


def _syntax_error(exc: Exception, source: str | None) -> PolicyError:
    line = getattr(exc, "line", None)
    column = getattr(exc, "column", None)
    summary = _summary(exc)
    at = f" at column {column}" if isinstance(column, int) and column > 0 else ""
    return PolicyError(
        f"malformed HCL{at}: {summary}; a policy is blocks like "
        'path "tasks/*" { capabilities = ["read"] }',
        source=source,
        line=line if isinstance(line, int) and line > 0 else None,
    )


def _block_rules(
    blocks: Any, source: str | None, role: str, lines: list[int | None]
) -> list[dict[str, Any]]:
    if not isinstance(blocks, list):
        raise PolicyError(
            'path must be a block: path "tasks/*" { capabilities = [...] }',
            source=source,
            role=role,
        )
    rules: list[dict[str, Any]] = []
    for index, block in enumerate(blocks):
        line = lines[index] if index < len(lines) else None
        labels = [k for k in block if k != _BLOCK] if isinstance(block, dict) else []
        if not isinstance(block, dict) or _BLOCK in block or len(labels) != 1:
            raise PolicyError(
                'a path block needs exactly one quoted pattern: path "tasks/*" { ... }',
                source=source,
                line=line,
                role=role,
            )
        pattern = labels[0]
        body = block[pattern]
        if isinstance(body, dict) and _BLOCK not in body:
            raise PolicyError(
                "a path block takes one label (the pattern), not two",
                source=source,
                line=line,
                role=role,
                rule=pattern,
            )
        for key in body:
            if key in (_BLOCK, "capabilities", "description"):
                continue
            problem = (
                f"'{key}' is a Vault feature Legion does not support; remove it"
                if key in _VAULT_ONLY
                else f"unknown attribute '{key}'; a path block holds capabilities"
            )
            raise PolicyError(problem, source=source, line=line, role=role, rule=pattern)
        if "capabilities" not in body:
            raise PolicyError(
                'capabilities is required, e.g. capabilities = ["read"]',
                source=source,
                line=line,
                role=role,
                rule=pattern,
            )
        caps = body["capabilities"]
        if not isinstance(caps, list) or not all(isinstance(c, str) for c in caps):
            raise PolicyError(
                'capabilities must be a list of strings, e.g. ["read", "list"]',
                source=source,
                line=line,
                role=role,
                rule=pattern,
            )
        rule: dict[str, Any] = {"path": pattern, "capabilities": caps}
        if isinstance(body.get("description"), str):
            rule["description"] = body["description"]
        rules.append(rule)
    return rules


def parse_hcl_policy(
    text: str, *, role: str, source: str | None = None, builtin: bool = False
) -> Role:
    """Parse one HCL policy into a Role named `role` (for files: the file name without .hcl)."""
    try:
        data = hcl2.loads(text, serialization_options=_OPTIONS)
    except Exception as exc:  # hcl2 raises lark's errors, which are not part of our deps
        raise _syntax_error(exc, source) from None
    description = ""
    for key, value in data.items():
        if key == "description" and isinstance(value, str):
            description = value
        elif key != "path":
            raise PolicyError(
                f"unknown top-level {key!r}; a policy holds path blocks "
                "(and an optional description)",
                source=source,
                role=role,
            )
    blocks = data.get("path", [])
    patterns = [
        next((k for k in b if k != _BLOCK), "") if isinstance(b, dict) else ""
        for b in (blocks if isinstance(blocks, list) else [])
    ]
    lines = rule_lines(text, patterns)
    rules = _block_rules(blocks, source, role, lines)
    return parse_role(
        {"name": role, "description": description, "rules": rules},
        source=source,
        text=text,
        lines=lines,
        builtin=builtin,
    )
