"""The engine agrees with a tiny reference of Vault glob matching plus deny-wins."""

from __future__ import annotations

import re
from dataclasses import dataclass

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from legion.rbac.capabilities import ACTIONS
from legion.rbac.engine import Engine
from legion.rbac.model import Role, Rule
from legion.rbac.paths import path_matches

SEGMENTS = ["a", "b", "ab", ""]


def reference_match(resource: str, pattern: str) -> bool:
    """Vault's rule restated as a regex: `+` is `[^/]*`, a trailing `*` makes it a prefix."""
    resource = resource.lstrip("/")
    pattern = pattern.lstrip("/")
    glob = pattern.endswith("*")
    body = pattern[:-1] if glob else pattern
    regex = "/".join("[^/]*" if part == "+" else re.escape(part) for part in body.split("/"))
    return (re.match(regex, resource) if glob else re.fullmatch(regex, resource)) is not None


@dataclass(frozen=True)
class RefRule:
    path: str
    caps: frozenset[str]


def reference_allowed(rules: list[RefRule], resource: str, action: str) -> bool:
    matching = [r for r in rules if reference_match(resource, r.path)]
    if any("deny" in r.caps for r in matching):
        return False
    return any(action in r.caps for r in matching)


segment = st.sampled_from([*SEGMENTS, "+"])
patterns = st.builds(
    lambda parts, star, tail: "/".join(parts) + (tail + "*" if star else ""),
    st.lists(segment, min_size=1, max_size=4),
    st.booleans(),
    st.sampled_from(["", "a"]),
).filter(lambda p: p.lstrip("/") != "" and "+a" not in p.rsplit("/", 1)[-1])
resources = st.lists(st.sampled_from([*SEGMENTS, "c"]), min_size=1, max_size=5).map("/".join)


@st.composite
def instances(draw: st.DrawFn, pattern: str) -> str:
    """A path built to sit near `pattern`: `+` filled in, something after a trailing `*`."""
    glob = pattern.endswith("*")
    body = pattern[:-1] if glob else pattern
    parts = [draw(st.sampled_from([*SEGMENTS, "c"])) if p == "+" else p for p in body.split("/")]
    tail = draw(st.sampled_from(["", "x", "/c", "/a/b", "a"])) if glob else ""
    path = "/".join(parts) + tail
    if draw(st.booleans()):  # sometimes knock it off the pattern
        path = draw(st.sampled_from([path + "/x", path[:-1], "x" + path, path + "a"]))
    return path


capability_sets = st.sets(st.sampled_from([*ACTIONS, "deny"]), min_size=1, max_size=3)
role_rules = st.lists(st.tuples(patterns, capability_sets), min_size=1, max_size=4)


@settings(max_examples=500, deadline=None)
@given(pattern=patterns, data=st.data())
def test_path_matching_agrees_with_the_reference(pattern: str, data: st.DataObject) -> None:
    resource = data.draw(st.one_of(resources, instances(pattern)))
    assert path_matches(resource.lstrip("/"), pattern) is reference_match(resource, pattern)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    roles=st.lists(role_rules, min_size=1, max_size=3),
    assigned=st.sets(st.integers(min_value=0, max_value=2)),
    data=st.data(),
)
def test_engine_agrees_with_reference(
    roles: list[list[tuple[str, set[str]]]],
    assigned: set[int],
    data: st.DataObject,
) -> None:
    all_patterns = [p for rules in roles for p, _ in rules]
    near = st.sampled_from(all_patterns).flatmap(instances)
    queries = data.draw(
        st.lists(st.tuples(st.one_of(resources, near), st.sampled_from(ACTIONS)), max_size=8)
    )
    engine = Engine(builtin=False)
    granted: list[RefRule] = []
    for index, rules in enumerate(roles):
        name = f"r{index}"
        engine.add_role(
            Role(
                name=name,
                rules=tuple(
                    Rule(role=name, path=p.lstrip("/"), capabilities=tuple(sorted(c)))
                    for p, c in rules
                ),
            )
        )
        if index in assigned:
            engine.assign("user:p", name)
            granted.extend(RefRule(p, frozenset(c)) for p, c in rules)
    for resource, action in queries:
        if not resource.lstrip("/"):
            continue
        expected = reference_allowed(granted, resource, action)
        for _ in range(2):  # the second answer comes from the cache
            decision = engine.check("user:p", resource, action)
            assert decision.allowed is expected, (resource, action, granted)
            if decision.rule is not None:
                assert reference_match(resource, decision.rule.path)
                assert decision.rule.deny or action in decision.rule.capabilities
                assert decision.rule.deny is not decision.allowed
