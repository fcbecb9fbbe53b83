"""Facts are dotted paths into the payload: `results.code`, `items.0.id`, `codes.404`.

A segment is a dict key on a dict and, when it is all ASCII digits, a list index on a list, so
`codes.404` still reads the key "404" of `{"codes": {"404": ...}}`. Keys that contain a dot cannot
be addressed. Paths are split once, when the rules are compiled, never on each evaluation.
"""

from __future__ import annotations

import enum
from typing import Any

Step = tuple[str, int | None]
"""One path segment: the dict key, and the list index it also denotes (None if not all digits)."""


class Missing(enum.Enum):
    """The marker for a fact that is absent from the payload, distinct from a present None."""

    MISSING = "missing"

    def __repr__(self) -> str:
        return "MISSING"


MISSING = Missing.MISSING


def path_problem(path: str) -> str | None:
    """Why `path` is not a usable fact path, or None when it is."""
    if not path:
        return "'fact' is empty"
    if "" in path.split("."):
        return f"fact {path!r} has an empty segment"
    return None


def split(path: str) -> tuple[Step, ...]:
    """Pre-parse a valid fact path into steps."""
    return tuple(
        (segment, int(segment) if segment.isascii() and segment.isdigit() else None)
        for segment in path.split(".")
    )


def resolve(payload: Any, steps: tuple[Step, ...]) -> Any:
    """The value at `steps` in `payload`, or MISSING if any step does not exist."""
    current = payload
    for key, index in steps:
        if isinstance(current, dict):
            current = current.get(key, MISSING)
            if current is MISSING:
                return MISSING
        elif index is not None and isinstance(current, (list, tuple)):
            if index >= len(current):
                return MISSING
            current = current[index]
        else:
            return MISSING
    return current
