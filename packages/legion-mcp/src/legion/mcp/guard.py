"""The hook RBAC and audit plug into: every tool call asks the Guard first and reports after.

The default allows everything and records nothing; an RBAC package supplies a real Guard.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

Outcome = Literal["ok", "error", "denied"]


@dataclass(frozen=True)
class Decision:
    """Whether a principal may act on a resource, and why (the reason is shown when denied)."""

    allowed: bool
    reason: str | None = None


@dataclass(frozen=True)
class AuditRecord:
    """One guarded action as the audit hook receives it."""

    principal: str
    resource: str
    action: str
    outcome: Outcome
    reason: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class Guard(Protocol):
    """`check` decides; `audit` records what happened (both must be cheap and never raise)."""

    def check(self, principal: str, resource: str, action: str) -> tuple[bool, str | None]: ...

    def audit(self, record: AuditRecord) -> None: ...


class AllowAll:
    """No RBAC configured: everything is allowed and nothing is recorded."""

    def check(self, principal: str, resource: str, action: str) -> tuple[bool, str | None]:
        return True, None

    def audit(self, record: AuditRecord) -> None:
        return None


def decide(guard: Guard, principal: str, resource: str, action: str) -> Decision:
    """Ask the guard; a guard that raises denies (fail closed) instead of crashing the call."""
    try:
        allowed, reason = guard.check(principal, resource, action)
    except Exception as exc:
        return Decision(False, f"the guard failed: {type(exc).__name__}: {exc}")
    return Decision(bool(allowed), reason)


def tool_resource(name: str) -> str:
    """The resource a tool call is checked against: `mcp/tools/<name>`."""
    return f"mcp/tools/{name}"
