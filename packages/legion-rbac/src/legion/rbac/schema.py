"""The file and settings schema (pydantic), and its conversion to the engine's dataclasses.

Validation happens once at this boundary; errors name the source, the role, the rule's path
and the problem so a bad file can be fixed without reading a traceback.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from legion.rbac.capabilities import ALL_CAPABILITIES, unknown_capability_message
from legion.rbac.errors import PolicyError
from legion.rbac.lines import rule_lines
from legion.rbac.model import Assignment, PolicySet, Role, Rule
from legion.rbac.paths import PatternError, validate_pattern
from legion.rbac.principals import principal_problem

ROLE_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
DOCUMENT_KEYS = ("enforce", "roles", "policies", "assignments")


class RuleSpec(BaseModel):
    """`{"path": "tasks/*", "capabilities": ["read", "list"]}`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str
    capabilities: list[str] = Field(min_length=1)
    description: str | None = None

    @field_validator("path")
    @classmethod
    def _valid_path(cls, value: str) -> str:
        try:
            return validate_pattern(value)
        except PatternError as exc:
            raise ValueError(str(exc)) from None

    @field_validator("capabilities")
    @classmethod
    def _known_capabilities(cls, value: list[str]) -> list[str]:
        seen: list[str] = []
        for raw in value:
            cap = raw.strip().lower()
            if cap not in ALL_CAPABILITIES:
                raise ValueError(unknown_capability_message(raw))
            if cap not in seen:
                seen.append(cap)
        return seen


class RoleSpec(BaseModel):
    """`{"name": "observer", "description": "...", "rules": [...]}`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=ROLE_NAME_PATTERN)
    description: str = ""
    rules: list[RuleSpec] = Field(default_factory=list)


class DocumentSpec(BaseModel):
    """A whole file or settings section: roles (as rules or HCL), assignments, enforce."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enforce: bool | None = None
    roles: list[RoleSpec] = Field(default_factory=list)
    policies: dict[str, str] = Field(default_factory=dict)
    assignments: dict[str, list[str]] = Field(default_factory=dict)

    @field_validator("policies")
    @classmethod
    def _policy_names(cls, value: dict[str, str]) -> dict[str, str]:
        for name in value:
            _check_role_name(name)
        return value

    @field_validator("assignments")
    @classmethod
    def _valid_assignments(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for principal, roles in value.items():
            problem = principal_problem(principal)
            if problem:
                raise ValueError(problem)
            if not roles:
                raise ValueError(f"{principal} is assigned no roles; list at least one")
            for role in roles:
                _check_role_name(role)
        return value


def _check_role_name(name: str) -> None:
    if not re.match(ROLE_NAME_PATTERN, name):
        raise ValueError(
            f"role name {name!r} must start with a letter or digit and hold only "
            "letters, digits, '.', '_' and '-'"
        )


def is_single_role(data: Mapping[str, Any]) -> bool:
    """A file holding one role has `name` and `rules` and none of the document keys."""
    return "name" in data and not any(key in data for key in DOCUMENT_KEYS)


def _get(data: Any, key: Any) -> Any:
    try:
        return data[key]
    except (KeyError, IndexError, TypeError):
        return None


def _raw_paths(role_data: Any) -> list[str]:
    rules = _get(role_data, "rules")
    if not isinstance(rules, list):
        return []
    return [str(_get(r, "path")) for r in rules]


def _rule_line(data: Any, text: str | None, role_index: int | None, rule_index: int) -> int | None:
    """Line of one rule, counting every earlier rule so repeated patterns resolve correctly."""
    if role_index is None:
        paths = _raw_paths(data)
        position = rule_index
    else:
        roles = _get(data, "roles")
        roles = roles if isinstance(roles, list) else []
        paths = [p for raw in roles[:role_index] for p in _raw_paths(raw)]
        position = len(paths) + rule_index
        paths += _raw_paths(_get(roles, role_index))
    lines = rule_lines(text, paths)
    return lines[position] if position < len(lines) else None


def _error_from_validation(
    exc: ValidationError, data: Any, source: str | None, text: str | None
) -> PolicyError:
    """The first validation problem as a PolicyError naming role, rule path and line."""
    errors = exc.errors()
    first = errors[0]
    loc = list(first["loc"])
    message = str(first["msg"]).removeprefix("Value error, ")
    role_data: Any = data
    role: str | None = None
    role_index: int | None = None
    if loc[:1] == ["roles"] and len(loc) >= 2 and isinstance(loc[1], int):
        role_index = loc[1]
        role_data = _get(_get(data, "roles"), role_index)
        loc = loc[2:]
    if isinstance(_get(role_data, "name"), str):
        role = _get(role_data, "name")
    rule: str | None = None
    line: int | None = None
    if loc[:1] == ["rules"] and len(loc) >= 2 and isinstance(loc[1], int):
        rules = _get(role_data, "rules")
        raw_path = _get(_get(rules, loc[1]), "path")
        if isinstance(raw_path, str):
            rule = raw_path
            line = _rule_line(data, text, role_index, loc[1])
        else:
            rule = None
            message = f"rule #{loc[1] + 1}: {message}"
        loc = loc[2:]
    field = ".".join(str(part) for part in loc if not isinstance(part, int))
    if first["type"] == "missing":
        problem = f"'{field}' is required" if field else message
    elif first["type"] == "too_short":
        problem = f"{field}: list at least one entry" if field else "list at least one entry"
    elif first["type"] == "extra_forbidden":
        problem = f"unknown key '{field}'"
    elif first["type"] == "string_pattern_mismatch" and field == "name":
        problem = (
            f"role name {first['input']!r} must start with a letter or digit and hold only "
            "letters, digits, '.', '_' and '-'"
        )
    else:
        problem = f"{field}: {message}" if field else message
    more = len(errors) - 1
    if more:
        problem += f" (and {more} more problem{'s' if more > 1 else ''})"
    return PolicyError(problem, source=source, line=line, role=role, rule=rule)


def role_from_spec(
    spec: RoleSpec,
    *,
    source: str | None,
    text: str | None = None,
    raw_paths: Sequence[str] | None = None,
    lines: Sequence[int | None] | None = None,
    builtin: bool = False,
) -> Role:
    """Dataclass role from a validated spec, with each rule's line when it can be found."""
    if lines is None:
        lines = rule_lines(text, list(raw_paths) if raw_paths else [r.path for r in spec.rules])
    rules = tuple(
        Rule(
            role=spec.name,
            path=r.path,
            capabilities=tuple(r.capabilities),
            source=source,
            line=lines[i] if i < len(lines) else None,
        )
        for i, r in enumerate(spec.rules)
    )
    return Role(
        name=spec.name, rules=rules, description=spec.description, source=source, builtin=builtin
    )


def parse_role(
    data: Any,
    *,
    source: str | None,
    text: str | None = None,
    lines: Sequence[int | None] | None = None,
    builtin: bool = False,
) -> Role:
    """Validate one role mapping (`name`, `description`, `rules`) into a Role."""
    try:
        spec = RoleSpec.model_validate(data)
    except ValidationError as exc:
        raise _error_from_validation(exc, data, source, text) from None
    raw_paths = _raw_paths(data)
    return role_from_spec(
        spec, source=source, text=text, raw_paths=raw_paths, lines=lines, builtin=builtin
    )


def parse_document(data: Any, *, source: str | None, text: str | None = None) -> PolicySet:
    """Validate a file or settings mapping: a single role, or a document of roles/assignments."""
    if data is None:
        return PolicySet()
    if not isinstance(data, Mapping):
        raise PolicyError(
            "expected a mapping with roles/assignments (or a single role with name and rules), "
            f"got {type(data).__name__}",
            source=source,
        )
    if is_single_role(data):
        result = PolicySet()
        result.add_role(parse_role(data, source=source, text=text))
        return result
    try:
        spec = DocumentSpec.model_validate(data)
    except ValidationError as exc:
        raise _error_from_validation(exc, data, source, text) from None
    result = PolicySet(enforce=spec.enforce)
    raw_roles = _get(data, "roles") or []
    per_role = [_raw_paths(raw) for raw in raw_roles]
    # One pass over the text for all roles, so equal patterns in two roles get their own lines.
    all_lines = rule_lines(text, [p for paths in per_role for p in paths])
    offset = 0
    for index, role_spec in enumerate(spec.roles):
        count = len(per_role[index])
        lines = all_lines[offset : offset + count]
        offset += count
        result.add_role(role_from_spec(role_spec, source=source, lines=lines))
    if spec.policies:
        from legion.rbac.hcl import parse_hcl_policy

        for name, hcl_text in spec.policies.items():
            label = f"{source}#policies.{name}" if source else f"policies.{name}"
            result.add_role(parse_hcl_policy(hcl_text, role=name, source=label))
    for principal, roles in spec.assignments.items():
        result.assignments.append(
            Assignment(principal=principal, roles=tuple(dict.fromkeys(roles)), source=source)
        )
    return result
