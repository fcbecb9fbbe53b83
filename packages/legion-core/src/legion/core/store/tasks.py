"""The task write path: write-behind batches of upserts, so persisting every task costs
microseconds instead of a transaction each; reads flush first, so they never see stale rows."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterable
from typing import Any

from legion.core.engine.task import FINAL, Task
from legion.core.logging import logger
from legion.core.store.models import TaskLogRow, TaskRow
from sqlalchemy import Engine, Table, delete, func, insert, or_, select, update
from sqlalchemy.dialects import mysql, postgresql, sqlite

TASKS: Table = TaskRow.__table__  # type: ignore[attr-defined]
LOGS: Table = TaskLogRow.__table__  # type: ignore[attr-defined]
COLUMNS = [c.name for c in TASKS.columns]


def upsert_statement(engine: Engine) -> Any:
    """INSERT … ON CONFLICT(id) DO UPDATE in the dialect of the database."""
    updatable = [c for c in COLUMNS if c not in ("id", "created_at")]
    name = engine.dialect.name
    if name == "sqlite":
        stmt = sqlite.insert(TASKS)
        return stmt.on_conflict_do_update(
            index_elements=["id"], set_={c: stmt.excluded[c] for c in updatable}
        )
    if name == "postgresql":
        pstmt = postgresql.insert(TASKS)
        return pstmt.on_conflict_do_update(
            index_elements=["id"], set_={c: pstmt.excluded[c] for c in updatable}
        )
    if name in ("mysql", "mariadb"):
        mstmt = mysql.insert(TASKS)
        return mstmt.on_duplicate_key_update({c: mstmt.inserted[c] for c in updatable})
    raise NotImplementedError(f"no upsert for database dialect {name!r}")


class TaskStore:
    """Tasks and their logs. `record` queues a snapshot; a writer thread batches them."""

    def __init__(self, engine: Engine, flush_interval: float = 0.005) -> None:
        self.engine = engine
        self.flush_interval = flush_interval
        self._rows: deque[dict[str, Any]] = deque()
        self._logs: deque[dict[str, Any]] = deque()
        self._flush_lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._upsert = upsert_statement(engine)

    # -- write path ---------------------------------------------------------------------------
    def record(self, task: Task, message: str | None = None) -> None:
        """Queue the task's current state and a log line; written within `flush_interval`."""
        self._rows.append(task.row())
        self._logs.append(
            {"task_id": task.id, "at": time.time(), "status": task.status, "message": message}
        )

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name="legion-task-writer", daemon=True
            )
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        self.flush()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.flush_interval)
            self._wake.clear()
            try:
                self.flush()
            except Exception:
                logger.opt(exception=True).error("writing tasks to the store failed; will retry")
                time.sleep(min(1.0, self.flush_interval * 10))

    def flush(self) -> int:
        """Write every queued snapshot now; returns how many task rows were written."""
        with self._flush_lock:
            rows: dict[str, dict[str, Any]] = {}
            while self._rows:
                row = self._rows.popleft()
                rows[row["id"]] = row  # the latest snapshot of a task wins
            logs = []
            while self._logs:
                logs.append(self._logs.popleft())
            if not rows and not logs:
                return 0
            try:
                with self.engine.begin() as conn:
                    if rows:
                        conn.execute(self._upsert, list(rows.values()))
                    if logs:
                        conn.execute(insert(LOGS), logs)
            except Exception:
                # Put them back in order so nothing is lost; the writer retries.
                self._rows.extendleft(reversed(list(rows.values())))
                self._logs.extendleft(reversed(logs))
                raise
            return len(rows)

    def insert_now(self, task: Task, message: str | None = None) -> None:
        """Write one task synchronously (no writer running: the CLI without a daemon)."""
        self.record(task, message)
        self.flush()

    # -- reads --------------------------------------------------------------------------------
    def get(self, task_id: str) -> Task | None:
        self.flush()
        with self.engine.connect() as conn:
            row = conn.execute(select(TASKS).where(TASKS.c.id == task_id)).first()
        return Task.from_row(row) if row else None

    def find_idempotent(self, key: str) -> Task | None:
        self.flush()
        with self.engine.connect() as conn:
            row = conn.execute(select(TASKS).where(TASKS.c.idempotency_key == key)).first()
        return Task.from_row(row) if row else None

    def list(
        self,
        *,
        status: str | None = None,
        function: str | None = None,
        master_id: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[Task], int]:
        """Newest first, with the total count for paging."""
        self.flush()
        query = select(TASKS)
        count = select(func.count()).select_from(TASKS)
        for column, value in (("status", status), ("function", function), ("master_id", master_id)):
            if value is not None:
                query = query.where(TASKS.c[column] == value)
                count = count.where(TASKS.c[column] == value)
        query = (
            query.order_by(TASKS.c.created_at.desc(), TASKS.c.id.desc()).limit(limit).offset(offset)
        )
        with self.engine.connect() as conn:
            tasks = [Task.from_row(r) for r in conn.execute(query)]
            total = int(conn.execute(count).scalar_one())
        return tasks, total

    def children(self, task_id: str) -> list[Task]:
        self.flush()
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(TASKS).where(TASKS.c.parent_id == task_id).order_by(TASKS.c.id)
            )
            return [Task.from_row(r) for r in rows]

    def logs(self, task_id: str) -> list[dict[str, Any]]:
        self.flush()
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(LOGS.c.at, LOGS.c.status, LOGS.c.message)
                .where(LOGS.c.task_id == task_id)
                .order_by(LOGS.c.id)
            )
            return [dict(r._mapping) for r in rows]

    def unfinished(self) -> list[Task]:
        """Tasks a restarted node must pick up: pending ones and ones that were running."""
        self.flush()
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(TASKS).where(TASKS.c.status.not_in(list(FINAL))).order_by(TASKS.c.id)
            )
            return [Task.from_row(r) for r in rows]

    def set_status(self, task_ids: Iterable[str], status: str, message: str) -> int:
        """Bulk status change for housekeeping (expire, purge-mark); logs each change."""
        ids = list(task_ids)
        if not ids:
            return 0
        now = time.time()
        with self.engine.begin() as conn:
            conn.execute(
                update(TASKS).where(TASKS.c.id.in_(ids)).values(status=status, finished_at=now)
            )
            conn.execute(
                insert(LOGS),
                [{"task_id": i, "at": now, "status": status, "message": message} for i in ids],
            )
        return len(ids)

    def purge(self, *, statuses: Iterable[str], older_than: float, limit: int = 1000) -> int:
        """Delete final tasks (and their logs) finished before `older_than`."""
        self.flush()
        with self.engine.begin() as conn:
            ids = [
                r[0]
                for r in conn.execute(
                    select(TASKS.c.id)
                    .where(
                        TASKS.c.status.in_(list(statuses)),
                        or_(TASKS.c.finished_at < older_than, TASKS.c.finished_at.is_(None)),
                        TASKS.c.created_at < older_than,
                    )
                    .limit(limit)
                )
            ]
            if ids:
                conn.execute(delete(LOGS).where(LOGS.c.task_id.in_(ids)))
                conn.execute(delete(TASKS).where(TASKS.c.id.in_(ids)))
        return len(ids)
