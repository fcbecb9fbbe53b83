"""The heartbeat runner: this node says it is still here."""

from __future__ import annotations

import os
import time
from typing import Any

from legion.core import __version__ as core_version
from legion.core.context import Context
from legion.extensions.node.config import STARTED_AT, interval, node_name
from legion.extensions.node.table import upsert

__all__ = ["beat"]

EVENT = "node.heartbeat"


def beat(ctx: Context) -> dict[str, Any]:
    """Upsert this node's row in `nodes` and publish a `node.heartbeat` event; returns the row."""
    runtime = ctx.require_runtime()
    row: dict[str, Any] = {
        "name": node_name(ctx.settings),
        "version": core_version,
        "mode": runtime.settings.mode,
        "pid": os.getpid(),
        "status": "running",
        "started_at": STARTED_AT,
        "last_seen": time.time(),
    }
    upsert(runtime, row)
    reply = {**row, "interval": interval(ctx.settings)}
    runtime.engine.bus.publish(EVENT, dict(reply))
    return reply
