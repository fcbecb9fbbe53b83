"""Claiming a task before running it, so a task delivered twice (a broker redelivery, a
recovery republish) runs once; a redelivered message may take over a task left `running`.

One short transaction per task. The claim writes the task's row itself (insert or update), so
it does not matter whether the publisher's write-behind batch has reached the database yet:
that later, older write loses to the claim's higher version.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, Table, and_, insert, select, update
from sqlalchemy.exc import IntegrityError

from legion.core.engine import task as st
from legion.core.engine.task import Task
from legion.core.store.models import TaskRow

TASKS: Table = TaskRow.__table__  # type: ignore[attr-defined]
CLAIMABLE = sorted(st.PENDING)


@dataclass(frozen=True)
class Claim:
    """The outcome: `claimed`, or the status the task already has (another worker's running,
    or final)."""

    claimed: bool
    status: str | None = None

    def __bool__(self) -> bool:
        return self.claimed


CLAIMED = Claim(True, st.RUNNING)


class TaskClaims:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def claim(self, task: Task, *, redelivered: bool = False, carried: int | None = None) -> Claim:
        """Mark `task` running for this worker; False when another worker has it or it ended
        (cancelled, expired, finished). On success `task.version` is the claimed row's.

        `carried` is the version the message carried: newer than the row means the row has
        not caught up with the change that sent it (a retry published before its write)."""
        carried = task.version if carried is None else carried
        for _ in range(3):
            try:
                return self._claim(task, redelivered, carried)
            except IntegrityError:  # two workers inserted the missing row at once: look again
                continue
        return Claim(False)

    def _claim(self, task: Task, redelivered: bool, carried: int) -> Claim:
        statuses = [*CLAIMABLE, st.RUNNING] if redelivered else CLAIMABLE
        with self.engine.begin() as conn:
            query = select(TASKS.c.status, TASKS.c.version).where(TASKS.c.id == task.id)
            if conn.dialect.name != "sqlite":  # SQLite has one writer; the others lock the row
                query = query.with_for_update()
            row = conn.execute(query).first()
            if row is None:
                task.version += 1
                conn.execute(insert(TASKS).values(**self._row(task, st.RUNNING)))
                return CLAIMED
            if row.status not in statuses and carried <= row.version:
                return Claim(False, row.status)
            version = max(row.version, task.version) + 1
            result = conn.execute(
                update(TASKS)
                .where(and_(TASKS.c.id == task.id, TASKS.c.version == row.version))
                .values(status=st.RUNNING, version=version, attempts=task.attempts)
            )
            if result.rowcount != 1:
                return Claim(False)
            task.version = version
            return CLAIMED

    @staticmethod
    def _row(task: Task, status: str) -> dict[str, Any]:
        """The claimed row, without the idempotency key: the publisher's own insert of it may be
        in flight, and PostgreSQL's upsert arbitrates the id only, not the key's unique index.
        The worker's next write of the task stores the key."""
        row = task.row()
        row["status"] = status
        row["idempotency_key"] = None
        return row
