"""Bounds on what one render may cost, on top of Jinja's sandbox (which bounds access, not CPU).

What is bounded, per render:
- `range()`: at most `MAX_RANGE` (Jinja's own limit, 100,000) items per call *and* in total over
  all calls, so nested loops over `range` cannot multiply;
- calls of functions, methods and macros: at most `MAX_CALLS` (stops exponential macro recursion);
- `*` and `**`: no sequence longer than the output limit, no integer wider than `MAX_INT_BITS`;
- widths in `center`/`ljust`/`zfill`-style methods, the `center`/`indent`/`batch`/`slice`
  filters and `%`/`format` specs: no larger than the output limit;
- output: the rendered text and every `tojson` value are stopped as soon as they pass the limit.
Work proportional to the input data (e.g. nested loops over `results`) is not bounded here: the
task's own timeout is the backstop.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from contextvars import ContextVar, Token
from dataclasses import dataclass
from types import BuiltinMethodType
from typing import Any

from jinja2.sandbox import MAX_RANGE

__all__ = [
    "DEFAULT_MAX_BYTES",
    "MAX_CALLS",
    "MAX_INT_BITS",
    "MAX_RANGE",
    "Budget",
    "LimitExceeded",
]

DEFAULT_MAX_BYTES = 1 << 20
MAX_CALLS = 10_000
MAX_INT_BITS = 1 << 16

_SIZED_STR_METHODS = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs"})
_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d+))?")
_DIGITS = re.compile(r"\d+")
_FORMATTER = string.Formatter()


class LimitExceeded(Exception):
    """A render went over one of the bounds of this module."""


@dataclass(slots=True)
class Budget:
    """What is left to spend in the render running on this thread or task."""

    max_bytes: int
    range_items: int = MAX_RANGE
    calls: int = MAX_CALLS


_BUDGET: ContextVar[Budget | None] = ContextVar("legion_transformation_budget", default=None)


def current_budget() -> Budget:
    """The running render's budget; a fresh one outside a render (compile-time folding)."""
    budget = _BUDGET.get()
    return budget if budget is not None else Budget(DEFAULT_MAX_BYTES)


def start(max_bytes: int) -> Token[Budget | None]:
    """Open a budget for one render; pass the returned token to `finish`."""
    return _BUDGET.set(Budget(max_bytes))


def finish(token: Token[Budget | None]) -> None:
    _BUDGET.reset(token)


def bounded_range(*args: int) -> range:
    """`range` whose items, over all calls in one render, stay within `MAX_RANGE`."""
    rng = range(*args)
    try:
        count = len(rng)
    except OverflowError:
        count = MAX_RANGE + 1
    if count > MAX_RANGE:
        raise LimitExceeded(
            f"range() of {count} items is over the sandbox limit of {MAX_RANGE} per render"
        )
    budget = current_budget()
    budget.range_items -= count
    if budget.range_items < 0:
        raise LimitExceeded(
            f"range() calls produced more than {MAX_RANGE} items in total in one render"
        )
    return rng


def charge_call(func: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> Budget:
    """Count one call against the budget and check width-like arguments of str methods."""
    budget = current_budget()
    budget.calls -= 1
    if budget.calls < 0:
        raise LimitExceeded(f"the template made more than {MAX_CALLS} calls in one render")
    if (
        isinstance(func, BuiltinMethodType)
        and isinstance(func.__self__, str)
        and func.__name__ in _SIZED_STR_METHODS
    ):
        for value in (*args, *kwargs.values()):
            check_width(value, f"str.{func.__name__}()", budget.max_bytes)
    return budget


def check_width(value: Any, what: str, limit: int | None = None) -> None:
    """Refuse a width or count larger than the output could ever hold."""
    limit = current_budget().max_bytes if limit is None else limit
    if isinstance(value, int) and value > limit:
        raise LimitExceeded(f"{what} was given {value}, over the output limit of {limit} bytes")


def check_binop(operator: str, left: Any, right: Any) -> None:
    """Refuse `*`, `**` and `%` whose result would be huge before Python computes it."""
    limit = current_budget().max_bytes
    if operator == "**":
        if (
            type(left) is int
            and type(right) is int
            and abs(left) > 1
            and left.bit_length() * right > MAX_INT_BITS
        ):
            raise LimitExceeded(f"{left} ** {right} is over the sandbox limit on integers")
    elif operator == "*":
        if type(left) is int and type(right) is int:
            if left.bit_length() + right.bit_length() > MAX_INT_BITS:
                raise LimitExceeded("the product is over the sandbox limit on integers")
        elif isinstance(left, (str, list, tuple)) and isinstance(right, int):
            _check_repeat(len(left), right, limit)
        elif isinstance(right, (str, list, tuple)) and isinstance(left, int):
            _check_repeat(len(right), left, limit)
    elif operator == "%" and isinstance(left, str):
        check_percent_format(left, limit)


def _check_repeat(length: int, times: int, limit: int) -> None:
    if length * times > limit:
        raise LimitExceeded(
            f"repeating a sequence of {length} items {times} times is over the output limit"
        )


def check_percent_format(fmt: str, limit: int | None = None) -> None:
    """Widths and precisions of a `%`-format must fit in the output; `*` widths are refused."""
    if "%" not in fmt:
        return
    limit = current_budget().max_bytes if limit is None else limit
    for match in _PERCENT_SPEC.finditer(fmt):
        for group in match.groups():
            if group == "*":
                raise LimitExceeded("'*' widths in format strings are not supported")
            if group and (len(group) > 9 or int(group) > limit):
                raise LimitExceeded(f"format width {group} is over the output limit")


def check_brace_format(fmt: str) -> None:
    """Specs of a `str.format` string must fit in the output; nested `{}` in specs are refused."""
    limit = current_budget().max_bytes
    for _, _, spec, _ in _FORMATTER.parse(fmt):
        if not spec:
            continue
        if "{" in spec:
            raise LimitExceeded("nested replacement fields in format specs are not supported")
        for digits in _DIGITS.findall(spec):
            if len(digits) > 9 or int(digits) > limit:
                raise LimitExceeded(f"format width {digits} is over the output limit")
