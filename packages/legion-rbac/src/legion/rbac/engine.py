"""The policy engine: each role's rules in casbin, a generation-keyed cache in front.

A decision asks casbin about each role the principal holds; any matching deny wins over
every allow. Every change (role, assignment, enforce switch) bumps the generation, so no
decision made under an older policy is ever served again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from typing import Any

from legion.rbac.builtin import builtin_roles
from legion.rbac.cache import DecisionCache
from legion.rbac.capabilities import parse_action
from legion.rbac.casbin_model import new_enforcer, policy_lines, rule_id
from legion.rbac.decision import Decision
from legion.rbac.errors import PolicyError, RequestError
from legion.rbac.model import Assignment, PolicySet, Role, Rule
from legion.rbac.paths import normalize_path
from legion.rbac.principals import principal_problem

log = logging.getLogger("legion.rbac")


class Engine:
    """Decides `check(principal, resource, action)`; deny rules win over any allow."""

    def __init__(
        self,
        policy: PolicySet | None = None,
        *,
        enforce: bool | None = None,
        builtin: bool = True,
        cache_size: int = 100_000,
    ) -> None:
        self._lock = threading.RLock()
        self._enforcers: dict[str, Any] = {}
        self._roles: dict[str, Role] = {}
        self._rules: dict[str, Rule] = {}
        self._assignments: dict[str, list[str]] = {}
        self._cache: DecisionCache[Decision] = DecisionCache(cache_size)
        self._enforce = True
        if builtin:
            for role in builtin_roles():
                self._put_role(role)
        if policy is not None:
            self.load(policy)
        if enforce is not None:
            self._enforce = enforce
        self._cache.invalidate()

    # -- state -----------------------------------------------------------------------------

    @property
    def generation(self) -> int:
        """Bumped by every change; cached decisions from other generations are never used."""
        return self._cache.generation

    @property
    def enforce(self) -> bool:
        """False is audit mode: refusals are logged and flagged (`would_deny`) but allowed."""
        return self._enforce

    @property
    def cache(self) -> DecisionCache[Decision]:
        """The decision cache, exposed for its hit/miss counters."""
        return self._cache

    def roles(self) -> list[Role]:
        """Every role the engine knows, built-in ones first."""
        return list(self._roles.values())

    def role(self, name: str) -> Role | None:
        """One role by name."""
        return self._roles.get(name)

    def assignments(self) -> dict[str, tuple[str, ...]]:
        """principal -> roles."""
        return {p: tuple(r) for p, r in self._assignments.items()}

    def roles_of(self, principal: str) -> tuple[str, ...]:
        """The roles assigned to a principal (empty when none)."""
        return tuple(self._assignments.get(principal, ()))

    # -- changes ---------------------------------------------------------------------------

    def load(self, policy: PolicySet) -> None:
        """Add a policy set: its roles replace same-named ones, its assignments add up."""
        with self._lock:
            known = set(self._roles) | set(policy.roles)
            for assignment in policy.assignments:
                self._check_roles_exist(assignment, known)
            for role in policy.roles.values():
                self._put_role(role)
            for assignment in policy.assignments:
                for name in assignment.roles:
                    self._put_assignment(assignment.principal, name)
            if policy.enforce is not None:
                self._enforce = policy.enforce
            self._cache.invalidate()

    def add_role(self, role: Role) -> None:
        """Add or replace a role."""
        with self._lock:
            self._put_role(role)
            self._cache.invalidate()

    def remove_role(self, name: str) -> None:
        """Remove a role and every assignment of it."""
        with self._lock:
            if name not in self._roles:
                raise PolicyError(f"no role named {name!r}")
            self._drop_role_rules(name)
            del self._roles[name]
            for principal in list(self._assignments):
                self._drop_assignment(principal, name)
            self._cache.invalidate()

    def assign(self, principal: str, *roles: str) -> None:
        """Give roles to a principal (`user:alice`, `key:abc123`, `worker:node-1`)."""
        with self._lock:
            self._check_roles_exist(Assignment(principal, roles), set(self._roles))
            for name in roles:
                self._put_assignment(principal, name)
            self._cache.invalidate()

    def unassign(self, principal: str, role: str | None = None) -> None:
        """Take one role (or all of them, with role=None) away from a principal."""
        with self._lock:
            for name in [role] if role is not None else list(self.roles_of(principal)):
                self._drop_assignment(principal, name)
            self._cache.invalidate()

    def set_enforce(self, enforce: bool) -> None:
        """Switch between enforcing and audit mode (cached decisions encode the mode)."""
        with self._lock:
            self._enforce = enforce
            self._cache.invalidate()

    # -- decisions -------------------------------------------------------------------------

    def check(self, principal: str, resource: str, action: str) -> Decision:
        """Decide, from the cache when this exact question was answered under this policy."""
        key = (principal, resource, action)
        decision = self._cache.get(key)
        if decision is None:
            with self._lock:
                generation = self._cache.generation
                decision = self._decide(principal, resource, action)
                self._cache.put(key, decision, generation)
        if decision.would_deny:
            log.warning(
                "rbac audit: would deny %s %s on %s (%s)",
                decision.principal,
                decision.action,
                decision.resource,
                decision.reason,
                extra={"rbac_decision": decision.to_dict()},
            )
        return decision

    def is_allowed(self, principal: str, resource: str, action: str) -> bool:
        """Just the boolean of `check`."""
        return self.check(principal, resource, action).allowed

    def _decide(self, principal: str, resource: str, action: str) -> Decision:
        problem = principal_problem(principal)
        if problem:
            raise RequestError(problem)
        act = parse_action(action)
        obj = normalize_path(resource)
        if not obj or obj != obj.strip():
            raise RequestError(
                f"resource {resource!r} is not a path like tasks/42 or extensions/http/get"
            )
        roles = self.roles_of(principal)
        allowed, rule = self._enforce_roles(roles, obj, act)
        if allowed:
            reason = f"allowed by {rule.describe()}" if rule else "allowed"
        elif rule is not None and rule.deny:
            reason = f"denied by {rule.describe()}"
        elif not roles:
            reason = f"{principal} has no roles assigned"
        else:
            names = ", ".join(roles)
            reason = f"no rule of role(s) {names} grants {act!r} on {obj!r}"
        if allowed:
            return Decision(principal, obj, act, True, reason, rule, roles)
        if not self._enforce:
            return Decision(principal, obj, act, True, reason, rule, roles, would_deny=True)
        return Decision(principal, obj, act, False, reason, rule, roles)

    def _enforce_roles(self, roles: Iterable[str], obj: str, act: str) -> tuple[bool, Rule | None]:
        """Ask casbin role by role: the first deny decides; otherwise any allow allows."""
        granted: Rule | None = None
        for name in roles:
            enforcer = self._enforcers.get(name)
            if enforcer is None:
                continue
            allowed, explain = enforcer.enforce_ex(obj, act)
            rule = self._rules.get(explain[3]) if len(explain) == 4 else None
            if rule is not None and rule.deny:
                return False, rule
            if allowed and granted is None:
                granted = rule
        return granted is not None, granted

    # -- internals (call with the lock held) -----------------------------------------------

    def _check_roles_exist(self, assignment: Assignment, known: Iterable[str]) -> None:
        problem = principal_problem(assignment.principal)
        if problem:
            raise PolicyError(problem, source=assignment.source)
        names = set(known)
        for name in assignment.roles:
            if name not in names:
                raise PolicyError(
                    f"{assignment.principal} is assigned unknown role {name!r}; "
                    f"known roles: {', '.join(sorted(names))}",
                    source=assignment.source,
                )

    def _put_role(self, role: Role) -> None:
        if role.name in self._roles:
            self._drop_role_rules(role.name)
        self._roles[role.name] = role
        lines: list[list[str]] = []
        for index, rule in enumerate(role.rules):
            rid = rule_id(role.name, index)
            self._rules[rid] = rule
            lines.extend(policy_lines(rule, rid))
        if lines:  # a role without rules grants nothing; casbin needs no enforcer for it
            self._enforcers[role.name] = new_enforcer(lines)

    def _drop_role_rules(self, name: str) -> None:
        self._enforcers.pop(name, None)
        prefix = rule_id(name, 0)[:-1]
        for rid in [r for r in self._rules if r.startswith(prefix)]:
            del self._rules[rid]

    def _put_assignment(self, principal: str, role: str) -> None:
        current = self._assignments.setdefault(principal, [])
        if role not in current:
            current.append(role)

    def _drop_assignment(self, principal: str, role: str) -> None:
        current = self._assignments.get(principal)
        if current and role in current:
            current.remove(role)
            if not current:
                del self._assignments[principal]
