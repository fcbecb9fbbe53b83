"""The active relationships indexed by trigger, with conditions and transformations compiled
once, so evaluating a follow-up is a dict lookup plus the rule and template themselves."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from legion.core.store.models import RelationshipRow


@dataclass(frozen=True, slots=True)
class Follow:
    id: int
    action: str
    chain: str | None
    delay: float
    condition: Any  # a compiled condition, or None
    transformation: Any  # a compiled transformation, or None


def compile_row(row: RelationshipRow) -> Follow:
    from legion.core.conditions import compile as compile_conditions
    from legion.core.transformations import compile_transformation

    return Follow(
        id=int(row.id or 0),
        action=row.action,
        chain=row.chain,
        delay=row.delay,
        condition=compile_conditions(row.conditions) if row.conditions else None,
        transformation=(
            compile_transformation(row.transformation, row.engine) if row.transformation else None
        ),
    )


class RelationshipIndex:
    def __init__(self) -> None:
        self._by_trigger: dict[str, tuple[Follow, ...]] = {}
        self._lock = threading.Lock()

    def load(self, rows: list[RelationshipRow]) -> None:
        index: dict[str, list[Follow]] = {}
        for row in rows:
            if row.active:
                index.setdefault(row.trigger, []).append(compile_row(row))
        with self._lock:
            self._by_trigger = {k: tuple(v) for k, v in index.items()}

    def for_trigger(self, function: str) -> tuple[Follow, ...]:
        return self._by_trigger.get(function, ())

    def __len__(self) -> int:
        return sum(len(v) for v in self._by_trigger.values())
