"""The RBAC decisions of the API and MCP: legion-rbac's engine, plus roles a credential carries.

A key's role or a token's `roles` claim is not written into the engine's assignments (two
tokens for one subject may carry different roles); each carried role is asked as its own
`role:<name>` principal, and the answers combine the engine's way: any deny rule wins,
otherwise any allow allows.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from legion.app.security.principals import LOCAL_USER, Principal
from legion.core.errors import ConfigError
from legion.core.settings import Settings
from legion.rbac import Decision, Engine, RbacError, load_paths

LOCAL_DEFAULT_ROLES = ("admin",)
ROLE_KIND = "role:"


def build_engine(settings: Settings) -> Engine:
    """Built-in roles, the policy files of `rbac.policies`, and `rbac.enforce`."""
    try:
        policy = load_paths(settings.rbac.policies) if settings.rbac.policies else None
        engine = Engine(policy)
    except RbacError as exc:
        raise ConfigError(
            f"rbac.policies: {exc}", hint="`legion rbac roles --policies PATH` checks them"
        ) from None
    engine.set_enforce(settings.rbac.enforce)
    return engine


def _combine(principal: str, decisions: Iterable[Decision], roles: tuple[str, ...]) -> Decision:
    found = list(decisions)
    for d in found:
        if d.rule is not None and d.rule.deny:
            return _as(principal, d, roles)
    for d in found:
        if d.allowed and not d.would_deny:
            return _as(principal, d, roles)
    refusal = found[0]
    reason = f"{principal} has no roles assigned"
    if roles:
        names = ", ".join(roles)
        reason = f"no rule of role(s) {names} grants {refusal.action!r} on {refusal.resource!r}"
    return _as(principal, refusal, roles, reason)


def _as(principal: str, d: Decision, roles: tuple[str, ...], reason: str | None = None) -> Decision:
    reason = reason or d.reason
    return Decision(principal, d.resource, d.action, d.allowed, reason, d.rule, roles, d.would_deny)


DECISIONS_KEPT = 10_000
DecisionKey = tuple[str, tuple[str, ...], str, str]


class RbacGuard:
    """`decide(principal, resource, action)` over the engine; thread-safe.

    Combined decisions are kept per (principal, carried roles, resource, action) and tagged
    with the engine's generation, which every policy or assignment change bumps: a decision
    from before a change is never served. Audit-mode refusals are not kept, so the engine
    logs each one.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._lock = threading.Lock()
        self._decisions: dict[DecisionKey, tuple[int, Decision]] = {}

    def roles_for(self, principal: Principal) -> tuple[str, ...]:
        """Carried roles plus the policy's assignments; the local user defaults to admin."""
        assigned = self.engine.roles_of(principal.id)
        if principal.id == LOCAL_USER and not assigned and not principal.roles:
            return LOCAL_DEFAULT_ROLES
        return tuple(dict.fromkeys((*principal.roles, *assigned)))

    def known_role(self, name: str) -> bool:
        return self.engine.role(name) is not None

    def decide(self, principal: Principal, resource: str, action: str) -> Decision:
        key = (principal.id, principal.roles, resource, action)
        generation = self.engine.generation
        kept = self._decisions.get(key)
        if kept is not None and kept[0] == generation:
            return kept[1]
        decision = self._decide(principal, resource, action)
        if not decision.would_deny and generation == self.engine.generation:
            if len(self._decisions) >= DECISIONS_KEPT:
                self._decisions = {}
            self._decisions[key] = (generation, decision)
        return decision

    def _decide(self, principal: Principal, resource: str, action: str) -> Decision:
        roles = self.roles_for(principal)
        carried = [r for r in roles if r not in self.engine.roles_of(principal.id)]
        decisions = [self.engine.check(principal.id, resource, action)]
        for role in carried:
            if self.known_role(role):
                decisions.append(self.engine.check(self._role_principal(role), resource, action))
        return _combine(principal.id, decisions, roles)

    def _role_principal(self, role: str) -> str:
        name = f"{ROLE_KIND}{role}"
        if role not in self.engine.roles_of(name):
            with self._lock:
                if role not in self.engine.roles_of(name):
                    self.engine.assign(name, role)
        return name
