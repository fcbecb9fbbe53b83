"""Reads and writes of the `nodes` table through the runtime's database.

One row per node name; a heartbeat updates the row or inserts it the first time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from legion.core.store.models import NodeRow

if TYPE_CHECKING:
    from sqlalchemy import Engine

NODES: Any = NodeRow.__table__  # type: ignore[attr-defined]
COLUMNS = ("name", "version", "mode", "pid", "status", "started_at", "last_seen")


def upsert(db: Engine, row: dict[str, Any]) -> None:
    """Update the node's row, or insert it when there is none yet."""
    with db.begin() as conn:
        changed = conn.execute(
            NODES.update().where(NODES.c.name == row["name"]).values(**row)
        ).rowcount
        if not changed:
            conn.execute(NODES.insert().values(**row))


def all_nodes(db: Engine) -> list[dict[str, Any]]:
    with db.connect() as conn:
        rows = conn.execute(NODES.select().order_by(NODES.c.name))
        return [{c: r._mapping[c] for c in COLUMNS} for r in rows]
