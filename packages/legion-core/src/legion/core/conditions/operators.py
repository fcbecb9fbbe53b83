"""The built-in operators and the `Operator` description shared with plugins.

Every operator answers strictly True or False and never raises for a JSON-like actual value:
a kind mismatch (`"5" greater_than 3`, `True greater_than 0`, `1 equal True`) is simply False.
The rule engine never calls an operator for a missing fact; it uses `Operator.when_missing`
instead, which is True only for `nil` and `empty`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from legion.core.conditions.values import (
    ARRAYS,
    SIZED,
    ValueSet,
    comparable,
    is_integer,
    is_number,
    kind_of,
    same,
)


@dataclass(frozen=True, slots=True)
class Operator:
    """How one operator tests a fact.

    `func` is `(actual, expected) -> bool`, or `(actual) -> bool` when `unary`. `check(value)`
    returns None for an acceptable rule value, else a phrase completing "operator 'name' ...";
    `prepare(value)` turns the rule value into what `func` receives, once, at compile time.
    `when_missing` is the rule's result when the fact is absent from the payload.
    """

    func: Callable[..., bool]
    unary: bool = False
    when_missing: bool = False
    check: Callable[[Any], str | None] | None = None
    prepare: Callable[[Any], Any] | None = None


# -- binary ------------------------------------------------------------------------------------


def equal(actual: Any, expected: Any) -> bool:
    return same(actual, expected)


def not_equal(actual: Any, expected: Any) -> bool:
    return not same(actual, expected)


def greater_than(actual: Any, expected: Any) -> bool:
    return comparable(actual, expected) and actual > expected


def less_than(actual: Any, expected: Any) -> bool:
    return comparable(actual, expected) and actual < expected


def greater_or_equal(actual: Any, expected: Any) -> bool:
    return comparable(actual, expected) and actual >= expected


def less_or_equal(actual: Any, expected: Any) -> bool:
    return comparable(actual, expected) and actual <= expected


def between(actual: Any, expected: Any) -> bool:
    """Inclusive on both ends: `[min, max]`."""
    if not isinstance(expected, ARRAYS) or len(expected) != 2:
        return False
    low, high = expected
    return comparable(actual, low) and comparable(actual, high) and low <= actual <= high


def contains(actual: Any, expected: Any) -> bool:
    """Substring of a string, member of an array, or key of an object."""
    if isinstance(actual, str):
        return isinstance(expected, str) and expected in actual
    if isinstance(actual, ARRAYS):
        return any(same(item, expected) for item in actual)
    if isinstance(actual, dict):
        return isinstance(expected, str) and expected in actual
    return False


def starts_with(actual: Any, expected: Any) -> bool:
    return isinstance(actual, str) and isinstance(expected, str) and actual.startswith(expected)


def ends_with(actual: Any, expected: Any) -> bool:
    return isinstance(actual, str) and isinstance(expected, str) and actual.endswith(expected)


def matches(actual: Any, expected: re.Pattern[str]) -> bool:
    """Regex search (not a full match); the pattern was compiled by `prepare`."""
    return isinstance(actual, str) and expected.search(actual) is not None


def in_set(actual: Any, expected: ValueSet) -> bool:
    return actual in expected


def not_in_set(actual: Any, expected: ValueSet) -> bool:
    return actual not in expected


def size_equal(actual: Any, expected: Any) -> bool:
    """Length of a string, array or object."""
    return isinstance(actual, SIZED) and is_integer(expected) and len(actual) == expected


# -- unary -------------------------------------------------------------------------------------


def nil(actual: Any) -> bool:
    return actual is None


def not_nil(actual: Any) -> bool:
    return actual is not None


def is_true(actual: Any) -> bool:
    """Only the boolean True; truthy strings and numbers are not true."""
    return actual is True


def is_false(actual: Any) -> bool:
    """Only the boolean False; falsy values such as 0, "" or null are not false."""
    return actual is False


def is_string(actual: Any) -> bool:
    return isinstance(actual, str)


def is_array(actual: Any) -> bool:
    return isinstance(actual, ARRAYS)


def is_integer_value(actual: Any) -> bool:
    return is_integer(actual)


def empty(actual: Any) -> bool:
    """null, "", [] or {} (and a missing fact, through `when_missing`)."""
    return actual is None or (isinstance(actual, SIZED) and len(actual) == 0)


def not_empty(actual: Any) -> bool:
    return not empty(actual)


# -- value checks and preparation --------------------------------------------------------------


def _orderable(value: Any) -> str | None:
    if is_number(value) or isinstance(value, str):
        return None
    return f"compares against a number or a string, got {kind_of(value)}"


def _bounds(value: Any) -> str | None:
    if not isinstance(value, ARRAYS) or len(value) != 2:
        return f"needs a two-item [min, max] list, got {kind_of(value)}"
    low, high = value
    if not comparable(low, high):
        return (
            f"needs [min, max] both numbers or both strings, got {kind_of(low)} and {kind_of(high)}"
        )
    if not low <= high:
        return f"needs min <= max, got [{low!r}, {high!r}]"
    return None


def _string(value: Any) -> str | None:
    return None if isinstance(value, str) else f"needs a string value, got {kind_of(value)}"


def _regex(value: Any) -> str | None:
    if not isinstance(value, str):
        return f"needs a regex string, got {kind_of(value)}"
    try:
        re.compile(value)
    except re.error as exc:
        return f"has a regex that does not compile: {exc}"
    return None


def _list(value: Any) -> str | None:
    return None if isinstance(value, ARRAYS) else f"needs a list value, got {kind_of(value)}"


def _integer(value: Any) -> str | None:
    return None if is_integer(value) else f"needs an integer value, got {kind_of(value)}"


def _pair(value: Any) -> tuple[Any, Any]:
    low, high = value
    return (low, high)


BUILTINS: dict[str, Operator] = {
    "equal": Operator(equal),
    "not_equal": Operator(not_equal),
    "greater_than": Operator(greater_than, check=_orderable),
    "less_than": Operator(less_than, check=_orderable),
    "greater_or_equal": Operator(greater_or_equal, check=_orderable),
    "less_or_equal": Operator(less_or_equal, check=_orderable),
    "between": Operator(between, check=_bounds, prepare=_pair),
    "contains": Operator(contains),
    "starts_with": Operator(starts_with, check=_string),
    "ends_with": Operator(ends_with, check=_string),
    "matches": Operator(matches, check=_regex, prepare=re.compile),
    "in_set": Operator(in_set, check=_list, prepare=ValueSet),
    "not_in_set": Operator(not_in_set, check=_list, prepare=ValueSet),
    "size_equal": Operator(size_equal, check=_integer),
    "nil": Operator(nil, unary=True, when_missing=True),
    "not_nil": Operator(not_nil, unary=True),
    "is_true": Operator(is_true, unary=True),
    "is_false": Operator(is_false, unary=True),
    "is_string": Operator(is_string, unary=True),
    "is_array": Operator(is_array, unary=True),
    "is_integer": Operator(is_integer_value, unary=True),
    "empty": Operator(empty, unary=True, when_missing=True),
    "not_empty": Operator(not_empty, unary=True),
}
"""Every built-in operator by name; plugins cannot replace these."""
