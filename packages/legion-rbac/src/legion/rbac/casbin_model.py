"""The casbin model underneath the engine: RBAC, Vault path globs, and deny wins.

Each rule becomes one casbin policy line per capability (a deny rule one line with action
`*`); the last field is the rule's id so casbin's explanation leads back to the Rule.
"""

from __future__ import annotations

from typing import Any

import casbin  # type: ignore[import-untyped]  # pycasbin ships no type information

from legion.rbac.model import Rule
from legion.rbac.paths import path_matches

ROLE_PREFIX = "role:"
ANY_ACTION = "*"
MATCH_FUNCTION = "vault_match"

# `vault_match` is registered with add_function; the effect is casbin's deny-override
# with allow required ("some allow and no deny").
MODEL_TEXT = f"""
[request_definition]
r = sub, obj, act

[policy_definition]
p = sub, obj, act, eft, rid

[role_definition]
g = _, _

[policy_effect]
e = some(where (p.eft == allow)) && !some(where (p.eft == deny))

[matchers]
m = (p.act == r.act || p.act == "{ANY_ACTION}") && g(r.sub, p.sub) && {MATCH_FUNCTION}(r.obj, p.obj)
"""


def role_subject(role: str) -> str:
    """Roles live in casbin's subject space under a prefix so they never clash with principals."""
    return ROLE_PREFIX + role


def rule_id(role: str, index: int) -> str:
    """Stable id of a role's n-th rule, carried in every casbin line the rule produces."""
    return f"{role}#{index}"


def policy_lines(rule: Rule, rid: str) -> list[list[str]]:
    """The casbin `p` lines for one rule."""
    subject = role_subject(rule.role)
    if rule.deny:
        return [[subject, rule.path, ANY_ACTION, "deny", rid]]
    return [[subject, rule.path, cap, "allow", rid] for cap in rule.capabilities]


def new_enforcer() -> Any:
    """An in-memory casbin enforcer with our model and the Vault glob function."""
    model = casbin.Model()
    model.load_model_from_text(MODEL_TEXT)
    enforcer = casbin.Enforcer(model)
    enforcer.add_function(MATCH_FUNCTION, path_matches)
    return enforcer
