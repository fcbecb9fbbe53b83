"""Reads and writes of the `nodes` table through the runtime's database.

One row per node name; a heartbeat updates the row or inserts it the first time.
"""

from __future__ import annotations

from typing import Any

from legion.core.runtime import Runtime
from legion.core.store.models import NodeRow

NODES: Any = NodeRow.__table__  # type: ignore[attr-defined]
COLUMNS = ("name", "version", "mode", "pid", "status", "started_at", "last_seen")


def upsert(runtime: Runtime, row: dict[str, Any]) -> None:
    """Update the node's row, or insert it when there is none yet."""
    with runtime.db.begin() as conn:
        changed = conn.execute(
            NODES.update().where(NODES.c.name == row["name"]).values(**row)
        ).rowcount
        if not changed:
            conn.execute(NODES.insert().values(**row))


def all_nodes(runtime: Runtime) -> list[dict[str, Any]]:
    with runtime.db.connect() as conn:
        rows = conn.execute(NODES.select().order_by(NODES.c.name))
        return [{c: r._mapping[c] for c in COLUMNS} for r in rows]
