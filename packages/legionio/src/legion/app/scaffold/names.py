"""Which names an extension, runner or actor may have; checked before anything is rendered.

A name becomes a module, a function, an entry point and part of every capability address, so it
must be a plain lowercase identifier that shadows nothing the generated code or Legion relies on.
"""

from __future__ import annotations

import builtins
import keyword
import re

from legion.core.errors import UsageError
from legion.core.extensions.actors import ACTOR_KINDS

NAME = re.compile(r"^[a-z][a-z0-9_]*$")
# Long enough for real names, short enough that every generated line stays within 100 columns.
MAX_LENGTH = 24

# Parts of Legion itself, which an extension name would be confused with.
CORE_PARTS = frozenset({"app", "core", "extensions", "legion", "legionio", "lex", "sdk"})
# Names the generated package binds or creates itself (module globals, sibling modules, tests).
GENERATED = frozenset({"client", "extension", "runners", "settings", "tests", *ACTOR_KINDS})
RESERVED = CORE_PARTS | GENERATED


def suggestion(raw: str) -> str | None:
    """A valid name close to `raw` (lowercased, `-` and spaces as `_`, no `lex-` prefix), if any."""
    text = raw.strip().lower().removeprefix("lex-").removeprefix("lex_")
    text = re.sub(r"[^a-z0-9_]+", "_", text).strip("_")
    text = re.sub(r"^[0-9_]+", "", text)
    if text != raw and NAME.match(text) and check(text) is None:
        return text
    return None


def check(name: str) -> str | None:
    """Why `name` cannot be used, or None when it can."""
    if not NAME.match(name):
        return "must be a lowercase Python identifier matching ^[a-z][a-z0-9_]*$"
    if len(name) > MAX_LENGTH:
        return f"is longer than {MAX_LENGTH} characters"
    if keyword.iskeyword(name):
        return "is a Python keyword"
    if name in CORE_PARTS:
        return "is a part of Legion itself"
    if name in GENERATED:
        return "is a name the generated package already uses"
    if hasattr(builtins, name):
        return "would shadow the Python builtin of that name"
    return None


def validate(name: str, what: str) -> str:
    """Return `name` unchanged, or raise UsageError saying why it is refused and what would do."""
    problem = check(name)
    if problem is None:
        return name
    better = suggestion(name)
    hint = f"try {better!r}" if better else "use letters, digits and _, starting with a letter"
    raise UsageError(f"{what} name {name!r} {problem}", hint=hint)


def distribution_name(name: str) -> str:
    """`lex-<name>` in the PEP 503 spelling (`_` becomes `-`), also the project directory."""
    return "lex-" + name.replace("_", "-")


def class_prefix(name: str) -> str:
    """CamelCase of a validated name, for generated class names (`my_api` -> `MyApi`)."""
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))
