"""Property tests: any JSON-like payload, any valid rule tree — strictly boolean, never raising."""

from typing import Any
from unittest import mock

from hypothesis import given, settings
from hypothesis import strategies as st

from legion.core.conditions import BUILTINS, compile, evaluate, explain, problems

SEGMENTS = ["a", "b", "0", "1", "01"]
KEYS = st.sampled_from(SEGMENTS)

scalars = st.none() | st.booleans() | st.integers(-3, 3) | st.floats() | st.text(max_size=3)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=3),
    max_leaves=12,
)
# Mostly objects keyed like the facts, so that many facts are found; sometimes any JSON at all.
payloads = (
    st.fixed_dictionaries(
        {key: json_values for key in SEGMENTS[:3]},
        optional={key: json_values for key in SEGMENTS[3:]},
    )
    | json_values
)
facts = st.lists(KEYS, min_size=1, max_size=3).map(".".join)

finite_numbers = st.integers(-3, 3) | st.floats(allow_nan=False)
ordered = finite_numbers | st.text(max_size=2)
pairs = st.tuples(finite_numbers, finite_numbers) | st.tuples(
    st.text(max_size=2), st.text(max_size=2)
)
VALUES: dict[str, st.SearchStrategy[Any]] = {
    "equal": json_values,
    "not_equal": json_values,
    "greater_than": ordered,
    "less_than": ordered,
    "greater_or_equal": ordered,
    "less_or_equal": ordered,
    "between": pairs.map(lambda pair: sorted(pair)),
    "contains": json_values,
    "starts_with": st.text(max_size=2),
    "ends_with": st.text(max_size=2),
    "matches": st.sampled_from(["a", "^0", "b$", ".*", "[ab]+", r"\d", "(?i)A"]),
    "in_set": st.lists(json_values, max_size=4),
    "not_in_set": st.lists(json_values, max_size=4),
    "size_equal": st.integers(-1, 4),
}
UNARY = sorted(name for name, op in BUILTINS.items() if op.unary)
assert set(VALUES) | set(UNARY) == set(BUILTINS)


@st.composite
def rules(draw: st.DrawFn, operators: list[str] | None = None) -> dict[str, Any]:
    name = draw(st.sampled_from(operators or sorted(BUILTINS)))
    rule: dict[str, Any] = {"fact": draw(facts), "operator": name}
    if name in VALUES:
        rule["value"] = draw(VALUES[name])
    return rule


items = st.recursive(
    rules(),
    lambda inner: st.builds(
        lambda kind, members: {kind: members},
        st.sampled_from(["all", "any"]),
        st.lists(inner, min_size=1, max_size=4),
    ),
    max_leaves=10,
)
trees = st.builds(
    lambda kind, members: {kind: members},
    st.sampled_from(["all", "any"]),
    st.lists(items, min_size=1, max_size=4),
)


def no_safety_net() -> Any:
    """Fail the test if a built-in operator ever raises and is rescued by the rule engine."""

    def fail(name: str, path: str, exc: Exception) -> bool:
        raise AssertionError(f"built-in operator {name!r} raised at {path}: {exc!r}")

    return mock.patch("legion.core.conditions.compiled.operator_failed", fail)


def leaves(node: dict[str, Any]) -> int:
    return sum(leaves(child) for child in node["rules"]) if "group" in node else 1


def consistent(node: dict[str, Any]) -> bool:
    if "group" not in node:
        return isinstance(node["result"], bool)
    results = [child["result"] for child in node["rules"]]
    expected = all(results) if node["group"] == "all" else any(results)
    return node["result"] is expected and all(consistent(child) for child in node["rules"])


@settings(deadline=None)
@given(trees, payloads)
def test_evaluate_is_a_bool_equal_to_explain_and_to_compiled(tree: Any, payload: Any) -> None:
    assert problems(tree) == []
    with no_safety_net():
        result = evaluate(tree, payload)
        report = explain(tree, payload)
        condition = compile(tree)
        assert condition.evaluate(payload) is result
        assert condition.explain(payload) == report
    assert isinstance(result, bool)
    assert report["valid"] is result
    assert leaves(report) == count_rules(tree)  # explain evaluated every rule
    assert consistent(report)


def count_rules(node: dict[str, Any]) -> int:
    if "fact" in node:
        return 1
    ((_, members),) = node.items()
    return sum(count_rules(member) for member in members)


@settings(deadline=None)
@given(trees, payloads)
def test_groups_combine_their_members(tree: Any, payload: Any) -> None:
    ((kind, members),) = tree.items()
    each = [evaluate({"all": [member]}, payload) for member in members]
    assert evaluate(tree, payload) is (all(each) if kind == "all" else any(each))
    assert evaluate({"any": [member for member in members]}, payload) is any(each)
    assert evaluate({"all": [member for member in members]}, payload) is all(each)


@settings(deadline=None)
@given(facts, payloads)
def test_complementary_unary_operators(fact: str, payload: Any) -> None:
    def holds(operator: str) -> bool:
        return evaluate({"all": [{"fact": fact, "operator": operator}]}, payload)

    assert holds("nil") != holds("not_nil")
    assert holds("empty") != holds("not_empty")
    found = explain({"all": [{"fact": fact, "operator": "nil"}]}, payload)["rules"][0]["found"]
    if not found:
        assert holds("nil") and holds("empty")
        assert not any(holds(name) for name in UNARY if name not in {"nil", "empty"})


@settings(deadline=None)
@given(facts, payloads, json_values)
def test_not_equal_negates_equal_when_the_fact_is_found(
    fact: str, payload: Any, value: Any
) -> None:
    def holds(operator: str) -> bool:
        return evaluate({"all": [{"fact": fact, "operator": operator, "value": value}]}, payload)

    entry = explain({"all": [{"fact": fact, "operator": "equal", "value": value}]}, payload)
    if entry["rules"][0]["found"]:
        assert holds("not_equal") is not holds("equal")
    else:
        assert holds("not_equal") is holds("equal") is False


@settings(deadline=None)
@given(facts, payloads, st.lists(json_values, max_size=4))
def test_set_membership_agrees_with_equal(fact: str, payload: Any, values: list[Any]) -> None:
    def holds(operator: str, value: Any) -> bool:
        return evaluate({"all": [{"fact": fact, "operator": operator, "value": value}]}, payload)

    in_set = holds("in_set", values)
    assert in_set is any(holds("equal", value) for value in values)
    found = explain({"all": [{"fact": fact, "operator": "nil"}]}, payload)["rules"][0]["found"]
    assert holds("not_in_set", values) is (found and not in_set)


@settings(max_examples=300, deadline=None)
@given(st.data(), json_values)
def test_builtin_operator_functions_never_raise(data: st.DataObject, actual: Any) -> None:
    name = data.draw(st.sampled_from(sorted(BUILTINS)))
    op = BUILTINS[name]
    if op.unary:
        assert op.func(actual) in (True, False)
        return
    value = data.draw(VALUES[name])
    assert op.check is None or op.check(value) is None
    expected = op.prepare(value) if op.prepare is not None else value
    result = op.func(actual, expected)
    assert result is True or result is False
