"""The errors legion-rbac raises, so callers (and the CLI) can tell bad input from bugs."""

from __future__ import annotations


class RbacError(Exception):
    """Base of every error this package raises on purpose; its message is one clear line."""


class PolicyError(RbacError):
    """A policy, role or assignment is invalid; the message names where and what to fix."""

    def __init__(
        self,
        problem: str,
        *,
        source: str | None = None,
        line: int | None = None,
        role: str | None = None,
        rule: str | None = None,
    ) -> None:
        self.problem = problem
        self.source = source
        self.line = line
        self.role = role
        self.rule = rule
        super().__init__(self._render())

    def _render(self) -> str:
        where = ""
        if self.source:
            where = self.source if self.line is None else f"{self.source}:{self.line}"
        elif self.line is not None:
            where = f"line {self.line}"
        subject = []
        if self.role is not None:
            subject.append(f"role {self.role!r}")
        if self.rule is not None:
            subject.append(f'path "{self.rule}"')
        parts = [p for p in (where, ", ".join(subject), self.problem) if p]
        return ": ".join(parts)


class RequestError(RbacError):
    """A check was asked with a malformed principal, resource or action."""


class MissingDependencyError(RbacError):
    """An optional dependency (hvac for Vault) is not installed; the message says how to add it."""
