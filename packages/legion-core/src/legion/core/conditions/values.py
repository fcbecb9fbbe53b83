"""How JSON values compare inside conditions: by kind first, then by value.

Python's own `==` and `<` would let `True == 1` and `"5" > 3` (a TypeError) leak into rule results;
these helpers make a boolean never equal a number and a mismatch of kinds simply false.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

SIZED = (str, list, tuple, dict)
ARRAYS = (list, tuple)
_SCALARS = frozenset({str, int, float, bool})
_ORDER_KIND: dict[type, str] = {int: "number", float: "number", str: "string"}
_SET_TAG: dict[type, str] = {str: "str", int: "num", float: "num", bool: "bool", type(None): "null"}


def is_number(value: Any) -> bool:
    """An int or float, never a bool: booleans are not quantities."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def is_integer(value: Any) -> bool:
    """An int that is not a bool (a float such as 3.0 is a number, not an integer)."""
    return isinstance(value, int) and not isinstance(value, bool)


def same(a: Any, b: Any) -> bool:
    """Deep equality where kinds must match: 1 equals 1.0, but never True, "1" or [1] vs [True]."""
    cls = a.__class__
    if cls is b.__class__ and cls in _SCALARS:  # the common case, kept cheap
        result: bool = a == b
        return result
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if is_number(a):
        return is_number(b) and bool(a == b)
    if isinstance(a, str):
        return isinstance(b, str) and a == b
    if a is None:
        return b is None
    if isinstance(a, ARRAYS):
        return (
            isinstance(b, ARRAYS)
            and len(a) == len(b)
            and all(same(x, y) for x, y in zip(a, b, strict=True))
        )
    if isinstance(a, dict):
        return (
            isinstance(b, dict)
            and a.keys() == b.keys()
            and all(same(value, b[key]) for key, value in a.items())
        )
    return type(a) is type(b) and bool(a == b)


def comparable(a: Any, b: Any) -> bool:
    """Whether `a` and `b` can be ordered: two numbers, or two strings (lexicographically)."""
    kind = _ORDER_KIND.get(a.__class__)
    if kind is not None and kind == _ORDER_KIND.get(b.__class__):
        return True
    if isinstance(a, str):
        return isinstance(b, str)
    return is_number(a) and is_number(b)


def kind_of(value: Any) -> str:
    """The JSON name of a value's kind, for messages users read."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, ARRAYS):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


class ValueSet:
    """Kind-aware membership with hashing for scalars, so `in_set` over a long list stays O(1)."""

    __slots__ = ("_keys", "_others")

    def __init__(self, values: Iterable[Any]) -> None:
        keys: set[tuple[str, Any]] = set()
        others: list[Any] = []
        for value in values:
            key = _scalar_key(value)
            if key is not None:
                keys.add(key)
            elif not _is_nan(value):  # NaN equals nothing, itself included
                others.append(value)
        self._keys = frozenset(keys)
        self._others = tuple(others)

    def __contains__(self, value: Any) -> bool:
        key = _scalar_key(value)
        if key is not None:
            return key in self._keys
        return any(same(value, other) for other in self._others)


def _is_nan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)


def _scalar_key(value: Any) -> tuple[str, Any] | None:
    tag = _SET_TAG.get(value.__class__)
    if tag is not None:
        return None if tag == "num" and value != value else (tag, value)  # NaN != NaN
    if value is None:
        return ("null", None)
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, (int, float)):
        return None if _is_nan(value) else ("num", value)
    if isinstance(value, str):
        return ("str", value)
    return None
