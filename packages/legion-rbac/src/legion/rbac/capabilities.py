"""The capabilities a rule can grant, Vault's set plus `execute`, kept in one place."""

from __future__ import annotations

from enum import StrEnum

from legion.rbac.errors import RequestError


class Capability(StrEnum):
    """What a rule allows on a path; `deny` is special: it refuses every action on the path."""

    CREATE = "create"
    READ = "read"
    UPDATE = "update"
    DELETE = "delete"
    LIST = "list"
    EXECUTE = "execute"
    SUDO = "sudo"
    DENY = "deny"


ALL_CAPABILITIES: tuple[str, ...] = tuple(c.value for c in Capability)
# Every capability that can be asked for in a check (deny is a rule effect, not an action).
ACTIONS: tuple[str, ...] = tuple(c.value for c in Capability if c is not Capability.DENY)


def unknown_capability_message(value: str) -> str:
    """One wording for a bad capability everywhere: what was given and what is accepted."""
    return f"unknown capability {value!r}; use one of: {', '.join(ALL_CAPABILITIES)}"


def parse_action(value: str) -> str:
    """Validate the action of a check (a capability other than deny), case-insensitively."""
    action = value.strip().lower()
    if action in ACTIONS:
        return action
    if action == Capability.DENY:
        raise RequestError(
            "'deny' is not an action: check one of " + ", ".join(ACTIONS) + " instead"
        )
    raise RequestError(f"unknown action {value!r}; use one of: {', '.join(ACTIONS)}")
