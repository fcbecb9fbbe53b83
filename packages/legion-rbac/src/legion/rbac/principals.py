"""Principal ids (`user:alice`, `key:abc123`, `worker:node-1`): who a role is assigned to."""

from __future__ import annotations

import re

# Kinds Legion uses today; any other lowercase kind is accepted so new callers need no release.
KNOWN_KINDS: tuple[str, ...] = ("user", "key", "worker")
_PRINCIPAL = re.compile(r"^[a-z][a-z0-9_-]*:[^\s:][^\s]*$")


def principal_problem(value: str) -> str | None:
    """Why `value` is not a principal id, or None when it is one."""
    if _PRINCIPAL.match(value):
        return None
    return (
        f"principal {value!r} is not of the form kind:id "
        f"(e.g. user:alice, key:abc123, worker:node-1)"
    )


def is_principal(value: str) -> bool:
    """Whether `value` is a well-formed principal id."""
    return principal_problem(value) is None
