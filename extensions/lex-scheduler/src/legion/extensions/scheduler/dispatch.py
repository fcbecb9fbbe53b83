"""One scheduler tick: claim each due schedule, submit its function, move it to its next time.

A schedule that missed several due times (the scheduler was down, or a tick was late) runs once
and the skipped count is logged; runs are never replayed in bulk.
"""

from __future__ import annotations

import time
from datetime import tzinfo
from typing import TYPE_CHECKING, Any

from legion.core.engine.engine import json_safe
from legion.core.errors import LegionError
from legion.core.logging import logger
from legion.core.store.models import ScheduleRow
from legion.extensions.scheduler.store import ScheduleStore, as_dict, iso, render_context
from legion.extensions.scheduler.timing import advance

if TYPE_CHECKING:
    from legion.core.runtime import Runtime

LATE_AFTER = 5.0  # seconds past due that mean downtime rather than tick granularity


def tick(runtime: Runtime, tz: tzinfo, now: float | None = None) -> dict[str, Any]:
    """Dispatch every due schedule once; returns what was dispatched (and what failed)."""
    now = time.time() if now is None else now
    store = ScheduleStore(runtime.db)
    dispatched: list[dict[str, Any]] = []
    for row in store.due(now):
        due = float(row.next_run or now)
        next_run, missed = advance(row.cron, row.interval, due, now, tz)
        if not store.claim(row.name, due, last_run=now, next_run=next_run):
            continue  # another scheduler moved it first
        entry: dict[str, Any] = {"schedule": row.name, "function": row.function, "due": iso(due)}
        if missed:
            entry["skipped"] = missed
            late = now - due > LATE_AFTER
            (logger.warning if late else logger.debug)(
                "schedule {}: {}{} runs missed since {}; ran once, next at {}",
                row.name,
                "at least " if missed >= 10_000 else "",
                missed,
                iso(due),
                iso(next_run),
            )
        try:
            entry["task_ids"] = submit(runtime, row, now)
        except LegionError as exc:
            entry["error"] = exc.message
            logger.error("schedule {}: {} was not submitted: {}", row.name, row.function, exc)
        dispatched.append(entry)
    return {"dispatched": dispatched}


def submit(runtime: Runtime, row: ScheduleRow, now: float) -> list[str]:
    """Submit the schedule's function: with its args, or one task per rendered argument set."""
    engine = runtime.engine
    if row.transformation is None:
        return [engine.submit(row.function, row.args or {}, payload=row.payload).id]
    from legion.core.transformations import compile_transformation, transform_and_validate

    cap = runtime.catalog.registry.get(row.function)
    compiled = compile_transformation(row.transformation, row.engine)
    produced = transform_and_validate(compiled, render_context(as_dict(row), now), cap.validate)
    arg_sets = produced if isinstance(produced, list) else [produced]
    return [engine.submit(row.function, json_safe(a), payload=row.payload).id for a in arg_sets]
