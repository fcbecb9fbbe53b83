"""Reads and writes of the `nodes` table through the runtime's database.

One row per node name; a heartbeat updates the row or inserts it the first time. The table
comes from the store's models on first use, so loading the extension stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from legion.core.runtime import Runtime

COLUMNS = ("name", "version", "mode", "pid", "status", "started_at", "last_seen")


def nodes_table() -> Any:
    """The `nodes` table (a SQLAlchemy `Table`)."""
    from legion.core.store.models import NodeRow

    return NodeRow.__table__  # type: ignore[attr-defined]


def upsert(runtime: Runtime, row: dict[str, Any]) -> None:
    """Update the node's row, or insert it when there is none yet."""
    nodes = nodes_table()
    with runtime.db.begin() as conn:
        changed = conn.execute(
            nodes.update().where(nodes.c.name == row["name"]).values(**row)
        ).rowcount
        if not changed:
            conn.execute(nodes.insert().values(**row))


def all_nodes(runtime: Runtime) -> list[dict[str, Any]]:
    nodes = nodes_table()
    with runtime.db.connect() as conn:
        rows = conn.execute(nodes.select().order_by(nodes.c.name))
        return [{c: r._mapping[c] for c in COLUMNS} for r in rows]
