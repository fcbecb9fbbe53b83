"""What a check answers: allowed or not, and the rule (or the missing rule) that decided it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from legion.rbac.model import Rule


@dataclass(frozen=True, slots=True)
class Decision:
    """The answer to "may principal do action on resource", with its explanation.

    In audit mode (`enforce: false`) a refusal is reported as `allowed=True, would_deny=True`.
    """

    principal: str
    resource: str
    action: str
    allowed: bool
    reason: str
    rule: Rule | None = None
    roles: tuple[str, ...] = ()
    would_deny: bool = False

    @property
    def effect(self) -> str:
        """`allow` or `deny`, as enforcement would have it (audit mode does not change this)."""
        return "deny" if (not self.allowed or self.would_deny) else "allow"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for the CLI and logs."""
        return {
            "principal": self.principal,
            "resource": self.resource,
            "action": self.action,
            "allowed": self.allowed,
            "would_deny": self.would_deny,
            "reason": self.reason,
            "roles": list(self.roles),
            "rule": self.rule.to_dict() if self.rule is not None else None,
        }
