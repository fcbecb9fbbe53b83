"""Plain dataclasses for loaded policy: what the engine holds once the boundary validated it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from legion.rbac.capabilities import Capability
from legion.rbac.errors import PolicyError


@dataclass(frozen=True, slots=True)
class Rule:
    """One `path` block of a role: a pattern and what it grants (or `deny`)."""

    role: str
    path: str
    capabilities: tuple[str, ...]
    source: str | None = None
    line: int | None = None

    @property
    def deny(self) -> bool:
        """A rule listing `deny` refuses every action on its path, whatever else it lists."""
        return Capability.DENY.value in self.capabilities

    @property
    def location(self) -> str | None:
        """`file:line` (or just the file) the rule came from, for explanations."""
        if self.source is None:
            return None
        return self.source if self.line is None else f"{self.source}:{self.line}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, used by the CLI and decisions."""
        return {
            "role": self.role,
            "path": self.path,
            "capabilities": list(self.capabilities),
            "source": self.location,
        }

    def describe(self) -> str:
        """`role 'worker' path "tasks/*" [create, read] (worker.hcl:3)` for humans."""
        where = f" ({self.location})" if self.location else ""
        caps = ", ".join(self.capabilities)
        return f'role {self.role!r} path "{self.path}" [{caps}]{where}'


@dataclass(frozen=True, slots=True)
class Role:
    """A named set of rules; principals get rules only through roles."""

    name: str
    rules: tuple[Rule, ...]
    description: str = ""
    source: str | None = None
    builtin: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, used by `legion rbac roles --json`."""
        return {
            "name": self.name,
            "description": self.description,
            "builtin": self.builtin,
            "source": self.source,
            "rules": [r.to_dict() for r in self.rules],
        }


@dataclass(frozen=True, slots=True)
class Assignment:
    """Roles given to one principal by one source (sources add up)."""

    principal: str
    roles: tuple[str, ...]
    source: str | None = None


@dataclass(slots=True)
class PolicySet:
    """Everything one or more sources declared: roles, assignments and the enforce switch."""

    roles: dict[str, Role] = field(default_factory=dict)
    assignments: list[Assignment] = field(default_factory=list)
    enforce: bool | None = None

    def add_role(self, role: Role) -> None:
        """Add a role; the same name from two sources is an error rather than a silent pick."""
        existing = self.roles.get(role.name)
        if existing is not None:
            raise PolicyError(
                f"role {role.name!r} is defined twice ({existing.source or 'unknown'} and "
                f"{role.source or 'unknown'}); rename one or merge their rules",
                source=role.source,
            )
        self.roles[role.name] = role

    def merge(self, other: PolicySet) -> PolicySet:
        """Fold `other` in: roles must not clash, assignments add up, the last enforce wins."""
        for role in other.roles.values():
            self.add_role(role)
        self.assignments.extend(other.assignments)
        if other.enforce is not None:
            self.enforce = other.enforce
        return self

    @classmethod
    def combine(cls, sets: Iterable[PolicySet]) -> PolicySet:
        """One set from many, in order."""
        result = cls()
        for s in sets:
            result.merge(s)
        return result
