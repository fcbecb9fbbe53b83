"""The housekeeping runner: purge old finished tasks, expire stale queued ones.

Expiring goes through the engine, so a task still waiting in this node's queue is stopped too,
not just relabelled in the database. The engine's modules are imported when a runner runs, so
loading the extension stays cheap.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field

from legion.core.context import Context
from legion.core.errors import UsageError

if TYPE_CHECKING:
    from legion.core.engine.task import Task
    from legion.core.store.tasks import TaskStore

__all__ = ["expire", "purge", "reap"]

FinalStatus = Literal[
    "completed",
    "failed",
    "exception",
    "conditioner.failed",
    "transformer.failed",
    "cancelled",
    "expired",
]
Days = Annotated[float, Field(ge=0)]
Seconds = Annotated[float, Field(gt=0)]
Limit = Annotated[int, Field(ge=1, le=100_000)]
Statuses = Annotated[list[FinalStatus], Field(min_length=1)]

DAY = 86400.0


def purge(
    days: Days = 31,
    limit: Limit = 1000,
    statuses: Statuses | None = None,
    *,
    ctx: Context,
) -> dict[str, Any]:
    """Delete up to `limit` finished tasks (and their logs) older than `days`, in `statuses`
    (default: completed); returns how many were deleted."""
    from legion.core.engine import task as st

    runtime = ctx.require_runtime()
    chosen = sorted(set(statuses)) if statuses else [st.COMPLETED]
    older_than = time.time() - days * DAY
    purged = runtime.tasks.purge(statuses=chosen, older_than=older_than, limit=limit)
    return {"purged": purged, "statuses": chosen, "older_than": older_than}


def expire(
    max_age_seconds: Seconds = 3600,
    limit: Limit = 1000,
    *,
    ctx: Context,
) -> dict[str, Any]:
    """Mark up to `limit` tasks queued for longer than `max_age_seconds` as expired; ones waiting
    in this node's engine are taken off its queue. Returns the expired ids."""
    from legion.core.engine import task as st

    runtime = ctx.require_runtime()
    older_than = time.time() - max_age_seconds
    reason = f"expired: queued for more than {max_age_seconds:g}s"
    expired: list[str] = []
    skipped = 0
    for task in oldest_queued(runtime.tasks, older_than, limit):
        current = runtime.engine.get(task.id)
        if current is None or current.status != st.QUEUED:  # it moved on since the query
            skipped += 1
            continue
        try:
            runtime.engine.cancel(task.id, status=st.EXPIRED, reason=reason)
        except UsageError:  # started or finished in the meantime
            skipped += 1
            continue
        expired.append(task.id)
    return {"expired": len(expired), "ids": expired, "skipped": skipped, "older_than": older_than}


def reap(
    stale_after_seconds: Seconds = 3600,
    limit: Limit = 1000,
    *,
    ctx: Context,
) -> dict[str, Any]:
    """Queue again up to `limit` tasks left `running` for longer than `stale_after_seconds` by a
    worker that is gone (none runs them in this node); returns their ids. Keep the age above
    the longest task's run time: a task still running elsewhere would run a second time."""
    runtime = ctx.require_runtime()
    older_than = time.time() - stale_after_seconds
    ids = runtime.engine.requeue_stale(older_than, limit)
    return {"requeued": len(ids), "ids": ids, "older_than": older_than}


def oldest_queued(store: TaskStore, older_than: float, limit: int) -> list[Task]:
    """Queued tasks created before `older_than`, oldest first, at most `limit`.

    The store lists newest first, so the oldest `limit` are its last page.
    """
    from legion.core.engine import task as st

    _, total = store.query(status=st.QUEUED, limit=1)
    page, _ = store.query(status=st.QUEUED, limit=limit, offset=max(0, total - limit))
    return sorted((t for t in page if t.created_at < older_than), key=lambda t: t.created_at)
