"""The schedule runner: add, list and remove schedules; `tick` dispatches the due ones.

The schedule store and the dispatcher (the database, the engine) are imported when a runner runs,
so loading the extension stays cheap.
"""

from __future__ import annotations

import builtins
from typing import Any

from legion.core.context import Context
from legion.core.extensions.capability import capability
from legion.extensions.scheduler.timing import zone

__all__ = ["add", "list", "remove", "tick"]


def add(
    ctx: Context,
    name: str,
    function: str,
    cron: str | None = None,
    every: float | None = None,
    args: dict[str, Any] | None = None,
    payload: dict[str, Any] | None = None,
    transformation: str | None = None,
    engine: str = "jinja",
) -> dict[str, Any]:
    """Schedule `function` by `cron` expression or `every` N seconds, with fixed `args` or
    arguments rendered by a `transformation` from the schedule, its `payload` and `now`."""
    from legion.extensions.scheduler.store import ScheduleStore, as_dict

    runtime = ctx.require_runtime()
    row = ScheduleStore(runtime.db).create(
        runtime.catalog.registry,
        name=name,
        function=function,
        cron=cron,
        interval=every,
        args=args,
        payload=payload,
        transformation=transformation,
        engine=engine,
        tz=zone(str(ctx.settings.get("timezone", "UTC"))),
    )
    return as_dict(row)


def list(ctx: Context) -> builtins.list[dict[str, Any]]:
    """Every schedule, by name, with its last and next run (epoch seconds)."""
    from legion.extensions.scheduler.store import ScheduleStore, as_dict

    return [as_dict(row) for row in ScheduleStore(ctx.require_runtime().db).list()]


def remove(ctx: Context, name: str) -> dict[str, Any]:
    """Delete the schedule `name`; tasks it already started are not affected."""
    from legion.extensions.scheduler.store import ScheduleStore

    ScheduleStore(ctx.require_runtime().db).delete(name)
    return {"removed": name}


@capability(mcp_exposed=False)
def tick(ctx: Context) -> dict[str, Any]:
    """Dispatch every due schedule once (the scheduler's own actor calls this every second)."""
    from legion.extensions.scheduler import dispatch

    tz = zone(str(ctx.settings.get("timezone", "UTC")))
    return dispatch.tick(ctx.require_runtime(), tz)
