"""The registry runner: the nodes that have sent heartbeats, and whether they still do."""

from __future__ import annotations

import builtins
import time
from typing import Any

from legion.core.context import Context
from legion.extensions.node.config import ALIVE_AFTER, interval
from legion.extensions.node.table import all_nodes

__all__ = ["list"]


def list(ctx: Context, alive_only: bool = False) -> builtins.list[dict[str, Any]]:
    """Every known node by name, with `alive` (last heartbeat within 3 intervals) and
    `last_seen_ago` in seconds."""
    runtime = ctx.require_runtime()
    window = ALIVE_AFTER * interval(ctx.settings)
    now = time.time()
    nodes = []
    for row in all_nodes(runtime):
        ago = max(0.0, now - row["last_seen"])
        row["alive"] = ago <= window
        row["last_seen_ago"] = round(ago, 3)
        if row["alive"] or not alive_only:
            nodes.append(row)
    return nodes
