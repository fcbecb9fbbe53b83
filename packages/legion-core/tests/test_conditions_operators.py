"""Every built-in operator: true, false, missing fact and mismatched kinds."""

from typing import Any

import pytest

from legion.core.conditions import BUILTINS, evaluate

NO_VALUE = object()


def check(operator: str, actual: Any, value: Any = NO_VALUE) -> bool:
    rule: dict[str, Any] = {"fact": "x", "operator": operator}
    if value is not NO_VALUE:
        rule["value"] = value
    payload = {} if actual is NO_VALUE else {"x": actual}
    return evaluate({"all": [rule]}, payload)


BINARY_CASES: list[tuple[str, Any, Any, bool]] = [
    # equal: numbers by value, kinds must match, deep for containers
    ("equal", 200, 200, True),
    ("equal", 1, 1.0, True),
    ("equal", 1.0, 1, True),
    ("equal", 201, 200, False),
    ("equal", "200", 200, False),
    ("equal", True, 1, False),
    ("equal", 1, True, False),
    ("equal", 0, False, False),
    ("equal", True, True, True),
    ("equal", None, None, True),
    ("equal", None, 0, False),
    ("equal", "ok", "ok", True),
    ("equal", [1, {"a": 2}], [1.0, {"a": 2}], True),
    ("equal", [1], [True], False),
    ("equal", {"a": 1}, {"a": True}, False),
    ("equal", {"a": 1}, {"a": 1, "b": 2}, False),
    ("equal", float("nan"), float("nan"), False),
    # not_equal is the negation of equal for a present fact
    ("not_equal", 200, 201, True),
    ("not_equal", 200, 200, False),
    ("not_equal", 1, True, True),
    ("not_equal", None, 0, True),
    # ordering: numbers with numbers, strings with strings, never bools
    ("greater_than", 5, 3, True),
    ("greater_than", 3, 3, False),
    ("greater_than", 3.5, 3, True),
    ("greater_than", "5", 3, False),
    ("greater_than", 5, "3", False),
    ("greater_than", True, 0, False),
    ("greater_than", None, 0, False),
    ("greater_than", [5], 3, False),
    ("greater_than", "b", "a", True),
    ("greater_than", "2024-06-01", "2024-05-31", True),
    ("less_than", 2, 3, True),
    ("less_than", 3, 3, False),
    ("less_than", False, 1, False),
    ("less_than", "2", 3, False),
    ("greater_or_equal", 3, 3, True),
    ("greater_or_equal", 2, 3, False),
    ("greater_or_equal", True, 1, False),
    ("less_or_equal", 3, 3.0, True),
    ("less_or_equal", 4, 3, False),
    ("less_or_equal", {}, 3, False),
    # between is inclusive on both ends
    ("between", 1, [1, 5], True),
    ("between", 5, [1, 5], True),
    ("between", 3.2, [1, 5], True),
    ("between", 0, [1, 5], False),
    ("between", 6, [1, 5], False),
    ("between", "3", [1, 5], False),
    ("between", True, [0, 5], False),
    ("between", "m", ["a", "z"], True),
    # contains: substring, array member, object key
    ("contains", "hello world", "lo w", True),
    ("contains", "hello", "xyz", False),
    ("contains", "hello", 1, False),
    ("contains", [1, 2, 3], 2, True),
    ("contains", [1, 2, 3], 2.0, True),
    ("contains", [1, 2, 3], 4, False),
    ("contains", [1, 2], True, False),
    ("contains", [True], 1, False),
    ("contains", [[1, 2]], [1, 2], True),
    ("contains", {"a": 1}, "a", True),
    ("contains", {"a": 1}, "b", False),
    ("contains", {"1": 1}, 1, False),
    ("contains", 123, 2, False),
    ("contains", None, "a", False),
    # starts_with / ends_with: strings only, no coercion
    ("starts_with", "error: boom", "error", True),
    ("starts_with", "boom", "error", False),
    ("starts_with", 123, "1", False),
    ("ends_with", "report.csv", ".csv", True),
    ("ends_with", "report.csv", ".json", False),
    ("ends_with", ["a.csv"], ".csv", False),
    # matches: regex search
    ("matches", "order-1234", r"\d{4}", True),
    ("matches", "order-12", r"\d{4}", False),
    ("matches", "abc", "^b", False),
    ("matches", 1234, r"\d+", False),
    # in_set / not_in_set: kind-aware membership
    ("in_set", "ok", ["ok", "done"], True),
    ("in_set", "failed", ["ok", "done"], False),
    ("in_set", 1, [1.0, 2], True),
    ("in_set", True, [1, 2], False),
    ("in_set", 1, [True], False),
    ("in_set", None, [None], True),
    ("in_set", [1], [[1], [2]], True),
    ("in_set", {"a": 1}, [{"a": 1}], True),
    ("in_set", float("nan"), [float("nan")], False),
    ("not_in_set", "failed", ["ok", "done"], True),
    ("not_in_set", "ok", ["ok", "done"], False),
    ("not_in_set", True, [1], True),
    # size_equal: len of string, array, object
    ("size_equal", "abc", 3, True),
    ("size_equal", [1, 2], 2, True),
    ("size_equal", {"a": 1}, 1, True),
    ("size_equal", [1, 2], 3, False),
    ("size_equal", 123, 3, False),
    ("size_equal", None, 0, False),
]


@pytest.mark.parametrize(("operator", "actual", "value", "result"), BINARY_CASES)
def test_binary_operator(operator: str, actual: Any, value: Any, result: bool) -> None:
    assert check(operator, actual, value) is result


UNARY_CASES: list[tuple[str, Any, bool]] = [
    ("nil", None, True),
    ("nil", 0, False),
    ("nil", "", False),
    ("not_nil", 0, True),
    ("not_nil", False, True),
    ("not_nil", None, False),
    ("is_true", True, True),
    ("is_true", "true", False),
    ("is_true", 1, False),
    ("is_true", "yes", False),
    ("is_true", False, False),
    ("is_false", False, True),
    ("is_false", 0, False),
    ("is_false", None, False),
    ("is_false", "", False),
    ("is_false", True, False),
    ("is_string", "x", True),
    ("is_string", "", True),
    ("is_string", 1, False),
    ("is_array", [], True),
    ("is_array", [1], True),
    ("is_array", {}, False),
    ("is_array", "abc", False),
    ("is_integer", 3, True),
    ("is_integer", -3, True),
    ("is_integer", 3.0, False),
    ("is_integer", True, False),
    ("is_integer", "3", False),
    ("empty", None, True),
    ("empty", "", True),
    ("empty", [], True),
    ("empty", {}, True),
    ("empty", 0, False),
    ("empty", False, False),
    ("empty", " ", False),
    ("empty", [None], False),
    ("not_empty", "x", True),
    ("not_empty", [0], True),
    ("not_empty", 0, True),
    ("not_empty", None, False),
    ("not_empty", "", False),
    ("not_empty", {}, False),
]


@pytest.mark.parametrize(("operator", "actual", "result"), UNARY_CASES)
def test_unary_operator(operator: str, actual: Any, result: bool) -> None:
    assert check(operator, actual) is result


SAMPLE_VALUES: dict[str, Any] = {
    "between": [1, 5],
    "in_set": [1, None],
    "not_in_set": [1, None],
    "size_equal": 0,
    "matches": ".*",
    "starts_with": "",
    "ends_with": "",
    "contains": "",
    "equal": None,
    "not_equal": None,
}


@pytest.mark.parametrize("operator", sorted(BUILTINS))
def test_missing_fact_is_false_except_nil_and_empty(operator: str) -> None:
    op = BUILTINS[operator]
    value = NO_VALUE if op.unary else SAMPLE_VALUES.get(operator, 1)
    assert check(operator, NO_VALUE, value) is (operator in {"nil", "empty"})


def test_missing_is_not_the_same_as_null() -> None:
    assert check("not_equal", NO_VALUE, None) is False
    assert check("not_equal", None, 1) is True
    assert check("equal", None, None) is True
    assert check("equal", NO_VALUE, None) is False
    assert check("not_in_set", NO_VALUE, [1]) is False
    assert check("not_empty", NO_VALUE) is False
    assert check("not_nil", NO_VALUE) is False


@pytest.mark.parametrize(
    "actual",
    [None, True, 0, -1.5, float("inf"), float("nan"), "", "text", [], [1, "a"], {}, {"k": [None]}],
)
@pytest.mark.parametrize("operator", sorted(BUILTINS))
def test_no_operator_raises_on_any_json_kind(operator: str, actual: Any) -> None:
    op = BUILTINS[operator]
    value = NO_VALUE if op.unary else SAMPLE_VALUES.get(operator, 1)
    assert check(operator, actual, value) in (True, False)
