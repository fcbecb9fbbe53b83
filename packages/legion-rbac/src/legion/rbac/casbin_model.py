"""The casbin model underneath the engine: Vault path globs and deny-overrides, per role.

Each role gets its own small casbin enforcer, so an uncached decision evaluates only the
rules of the roles the principal holds instead of every rule in the system. Each rule
becomes one policy line per capability (a deny rule one line with action `*`); the last
field is the rule's id, so casbin's explanation leads back to the Rule.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import casbin  # type: ignore[import-untyped]  # pycasbin ships no type information

from legion.rbac.model import Rule
from legion.rbac.paths import path_matches

ANY_ACTION = "*"
MATCH_FUNCTION = "vault_match"

# `vault_match` is registered with add_function. The effect is "some allow and no deny":
# within a role casbin applies it; across roles the engine applies the same rule.
MODEL_TEXT = f"""
[request_definition]
r = obj, act

[policy_definition]
p = obj, act, eft, rid

[policy_effect]
e = some(where (p.eft == allow)) && !some(where (p.eft == deny))

[matchers]
m = (p.act == r.act || p.act == "{ANY_ACTION}") && {MATCH_FUNCTION}(r.obj, p.obj)
"""


def rule_id(role: str, index: int) -> str:
    """Stable id of a role's n-th rule, carried in every casbin line the rule produces."""
    return f"{role}#{index}"


def policy_lines(rule: Rule, rid: str) -> list[list[str]]:
    """The casbin `p` lines for one rule."""
    if rule.deny:
        return [[rule.path, ANY_ACTION, "deny", rid]]
    return [[rule.path, cap, "allow", rid] for cap in rule.capabilities]


def new_enforcer(lines: Iterable[list[str]] = ()) -> Any:
    """An in-memory casbin enforcer with our model, the Vault glob function and `lines`."""
    model = casbin.Model()
    model.load_model_from_text(MODEL_TEXT)
    enforcer = casbin.Enforcer(model)
    enforcer.add_function(MATCH_FUNCTION, path_matches)
    batch = list(lines)
    if batch:
        enforcer.add_policies(batch)
    return enforcer
