"""JSON in and out of a transformation: bounded encoding, strict parsing, the arguments shape.

Both engines end here, so they agree on what a valid output is: a JSON object (one follow-up
task) or a list of JSON objects (one follow-up task each).
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import uuid
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, TypeAlias

from legion.core.transformations.errors import TransformationError
from legion.core.transformations.limits import LimitExceeded

Arguments: TypeAlias = dict[str, Any] | list[dict[str, Any]]

PREVIEW_CHARS = 200


def _default(value: Any) -> Any:
    """Encode the few non-JSON types a task result commonly carries; refuse the rest."""
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (uuid.UUID, Decimal)):
        return str(value)
    if isinstance(value, (set, frozenset)):
        return list(value)
    dump = getattr(value, "model_dump", None)  # pydantic models
    if callable(dump):
        return dump(mode="json")
    raise TypeError(f"a value of type {type(value).__name__} cannot be encoded as JSON")


_ENCODER = json.JSONEncoder(
    ensure_ascii=False, allow_nan=False, separators=(",", ":"), default=_default
)


def check_size(value: Any, limit: int) -> None:
    """Refuse a value whose JSON would exceed `limit`, walking no further than needed.

    The count is a lower bound of the encoded size, so nothing valid is refused, while a value
    that repeats a shared sub-list (2**40 leaves from 40 objects) is stopped early.
    """
    total = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            total += len(item) + 2
        elif isinstance(item, dict):
            total += 2 + 4 * len(item)
            for key, child in item.items():
                total += len(key) if isinstance(key, str) else 1
                stack.append(child)
        elif isinstance(item, (list, tuple)):
            total += 2 + len(item)
            stack.extend(item)
        else:
            total += 1
        if total > limit:
            raise LimitExceeded(f"a value is larger than the output limit of {limit} bytes")


def to_json(value: Any, limit: int) -> str:
    """Strict JSON text (no NaN, no HTML escaping) that `json.loads` turns back into `value`."""
    if isinstance(value, (dict, list, tuple)):
        check_size(value, limit)
    return _ENCODER.encode(value)


def utf8_size(text: str) -> int:
    if text.isascii():
        return len(text)
    return len(text.encode("utf-8", "surrogatepass"))


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


# built once: json.loads() with a hook builds a decoder per call
_DECODER = json.JSONDecoder(parse_constant=_refuse_constant)


def parse(text: str, source: str) -> Any:
    """Parse rendered text as strict JSON, or say where and why it is not JSON."""
    try:
        return _DECODER.decode(text)
    except json.JSONDecodeError as exc:
        if not text.strip():
            raise TransformationError(
                f"{source} rendered nothing; it must render a JSON object"
            ) from None
        near = text[max(0, exc.pos - 20) : exc.pos + 20]
        raise TransformationError(
            f"{source} did not render JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
            f" (near {near!r}); the output begins {text[:PREVIEW_CHARS]!r}",
            hint="insert values with `| tojson` so strings are quoted and escaped",
        ) from None
    except ValueError as exc:
        raise TransformationError(f"{source} did not render strict JSON: {exc}") from None


def close_match(name: str, candidates: Iterable[Any]) -> str:
    """` (did you mean 'x'?)` when a candidate is close to `name`, else an empty string."""
    close = difflib.get_close_matches(name, [c for c in candidates if isinstance(c, str)], n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def describe(value: Any) -> str:
    """A short, human name for a JSON value, e.g. `a string ('abc')`."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"a boolean ({'true' if value else 'false'})"
    if isinstance(value, (int, float)):
        return f"a number ({value})"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:40] + "..."
        return f"a string ({shown!r})"
    if isinstance(value, list):
        return f"a list of {len(value)} items"
    if isinstance(value, dict):
        return "an object"
    return f"a value of type {type(value).__name__}"


def as_arguments(value: Any, source: str, hint: str | None = None) -> Arguments:
    """An object, or a list of objects for fan-out; anything else is an error naming it."""
    if type(value) is dict:
        return value
    if type(value) is list:
        for index, item in enumerate(value):
            if type(item) is not dict:
                raise TransformationError(
                    f"{source} produced a list whose item {index} is {describe(item)};"
                    " a list must hold only objects, one per follow-up task",
                    hint=hint,
                )
        return value
    raise TransformationError(
        f"{source} produced {describe(value)}, not a JSON object of arguments",
        hint=hint,
    )
