"""Run a function as a task and wait for it in slices, reporting progress between them.

A tool returns the result when the task ends within `wait_seconds`, else its id and status so
the agent can follow it with `legion.get_task`.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

import anyio.to_thread

from legion.mcp.backend import Backend

# Statuses after which a task never changes (the engine's FINAL set, by name).
FINAL = frozenset(
    {
        "completed",
        "failed",
        "exception",
        "conditioner.failed",
        "transformer.failed",
        "cancelled",
        "expired",
    }
)

Progress = Callable[[float, float | None, str], Awaitable[None]]


async def call(backend: Backend, op: str, params: dict[str, Any]) -> Any:
    """A backend call off the event loop (backends block: sockets, the store)."""
    return await anyio.to_thread.run_sync(backend.call, op, params)


async def run_and_wait(
    backend: Backend,
    function: str,
    args: dict[str, Any],
    *,
    wait: bool,
    wait_seconds: float,
    interval: float,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Submit `function`; with `wait`, follow it until final or `wait_seconds` have passed."""
    first = min(interval, wait_seconds) if wait else 0.0
    params: dict[str, Any] = {"function": function, "args": args, "wait": wait}
    if wait:
        params["timeout"] = first
    view: dict[str, Any] = await call(backend, "task.run", params)
    if not wait or view.get("status") in FINAL:
        return view
    started = time.monotonic() - first
    task_id = view["task_id"]
    while True:
        elapsed = time.monotonic() - started
        if progress is not None:
            await progress(round(elapsed, 3), wait_seconds, f"task {task_id} {view.get('status')}")
        if elapsed >= wait_seconds:
            break
        slice_ = min(interval, wait_seconds - elapsed)
        view = await call(backend, "task.wait", {"task_id": task_id, "timeout": slice_})
        if view.get("status") in FINAL:
            return view
    view = dict(view)
    view["error"] = None
    view["note"] = (
        f"still {view.get('status')} after {wait_seconds:g}s; it goes on — "
        f"legion.get_task with task_id {task_id} shows it"
    )
    return view
