"""The task write path: write-behind batches of upserts, so persisting every task costs
microseconds instead of a transaction each; reads flush first, so they never see stale rows."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections import deque
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Engine, Table, delete, func, insert, or_, select, update

from legion.core.engine.task import FINAL, Task
from legion.core.store.batch import BatchSQL, mysql_max_bytes, sqlite_max_params
from legion.core.store.models import TaskLogRow, TaskRow
from legion.core.store.writer import Writer

TASKS: Table = TaskRow.__table__  # type: ignore[attr-defined]
LOGS: Table = TaskLogRow.__table__  # type: ignore[attr-defined]
COLUMNS = [c.name for c in TASKS.columns]
JSON_COLUMNS = ("args", "payload", "result", "error")
# Changes waiting that make the writer flush before its deadline.
DEFAULT_BATCH = 1024


def upsert_sql(dialect: str, paramstyle: str) -> tuple[str, str]:
    """The one-row upsert of a task and insert of a log line (a `ConfigError` for other
    databases); the writer itself uses the multi-row form of `BatchSQL`."""
    sql = BatchSQL(dialect, paramstyle, COLUMNS)
    return sql.tasks_sql(1), sql.logs_sql(1)


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, default=str)


def row_tuple(task: Task) -> tuple[Any, ...]:
    """The task as the store writes it, in COLUMNS order; reuses JSON the engine already made."""
    return (
        task.id,
        task.function,
        task.status,
        task.args_json if task.args_json is not None else _json(task.args),
        _json(task.payload),
        task.result_json if task.result_json is not None else _json(task.result),
        _json(task.error),
        task.parent_id,
        task.master_id,
        task.depth,
        task.chain,
        task.relationship_id,
        task.attempts,
        task.max_retries,
        task.idempotency_key,
        task.created_at,
        task.started_at,
        task.finished_at,
        task.run_at,
        task.version,
    )


class TaskStore:
    """Tasks and their logs. `record` notes a change; a writer thread batches the writes."""

    def __init__(
        self, engine: Engine, flush_interval: float = 0.005, batch: int = DEFAULT_BATCH
    ) -> None:
        self.engine = engine
        self.flush_interval = flush_interval
        self._tasks: deque[Task] = deque()
        self._logs: deque[tuple[str, float, str, str | None]] = deque()
        self._flush_lock = threading.Lock()
        self._sql = BatchSQL(engine.dialect.name, engine.dialect.paramstyle, COLUMNS)
        # SQLite's placeholder limit and MySQL's packet size are read once, on the first write.
        self._sql_checked = engine.dialect.name not in ("sqlite", "mysql", "mariadb")
        self._writer = Writer(self.flush, self._backlog, flush_interval, batch)
        self._changed = self._writer.changed

    # -- write path ---------------------------------------------------------------------------
    def record(self, task: Task, message: str | None = None) -> None:
        """Note a change of `task` and its log line; both are written within `flush_interval`.

        The task itself is queued, not a copy: the writer stores its latest state, and since
        every change is recorded, the last write of a batch is always the task's final state.
        Never blocks: the writer thread does the writing."""
        task.version += 1
        tasks = self._tasks
        tasks.append(task)
        self._logs.append((task.id, time.time(), task.status, message))
        self._changed(len(tasks))

    def urge(self) -> None:
        """Have the writer flush now rather than at its deadline (without waiting for it)."""
        self._writer.urge()

    def start(self) -> None:
        self._writer.start()

    def stop(self) -> None:
        self._writer.stop()
        self.flush()

    @property
    def writer(self) -> threading.Thread | None:
        """The writer thread, while one runs."""
        return self._writer.thread

    @property
    def backlog(self) -> int:
        """Changes recorded but not written yet."""
        return len(self._tasks)

    def _backlog(self) -> int:
        return len(self._tasks)

    def flush(self) -> int:
        """Write every recorded change now; returns how many task rows were written."""
        with self._flush_lock:
            tasks, logs = self._tasks, self._logs
            # Only what is there now: changes recorded meanwhile wait for the next flush.
            latest = {task.id: task for task in [tasks.popleft() for _ in range(len(tasks))]}
            lines = [logs.popleft() for _ in range(len(logs))]
            if not latest and not lines:
                return 0
            rows = [row_tuple(task) for task in latest.values()]
            try:
                self._write(rows, lines)
            except Exception:
                # Put them back so nothing is lost; the writer retries.
                tasks.extendleft(reversed(list(latest.values())))
                logs.extendleft(reversed(lines))
                raise
            return len(rows)

    def _write(self, rows: list[tuple[Any, ...]], lines: list[tuple[Any, ...]]) -> None:
        """One transaction on a pooled DBAPI connection (SQLAlchemy's per-statement work is
        most of the cost of a small batch)."""
        conn = self.engine.raw_connection()
        try:
            cursor = conn.cursor()
            try:
                if not self._sql_checked:
                    self._sql = self._sql_for(conn, cursor)
                    self._sql_checked = True
                for sql, params in self._sql.statements(rows, lines):
                    cursor.execute(sql, params)
            finally:
                cursor.close()
            conn.commit()
        except BaseException:
            with contextlib.suppress(Exception):  # the original error is the one to report
                conn.rollback()
            raise
        finally:
            conn.close()

    def _sql_for(self, conn: Any, cursor: Any) -> BatchSQL:
        """The statements sized for this server's limits."""
        dialect = self.engine.dialect
        if dialect.name == "sqlite":
            limit = sqlite_max_params(conn.driver_connection)
            return BatchSQL(dialect.name, dialect.paramstyle, COLUMNS, limit)
        max_bytes = mysql_max_bytes(cursor)
        return BatchSQL(dialect.name, dialect.paramstyle, COLUMNS, max_bytes=max_bytes)

    def insert_now(self, task: Task, message: str | None = None) -> None:
        """Write one task synchronously (no node running: the CLI queues it for the next one)."""
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

    def query(
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

    def stale_running(self, older_than: float, limit: int = 1000) -> list[Task]:
        """Tasks `running` since before `older_than` (epoch seconds), oldest first."""
        self.flush()
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(TASKS)
                .where(TASKS.c.status == "running", TASKS.c.started_at < older_than)
                .order_by(TASKS.c.started_at)
                .limit(limit)
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
                update(TASKS)
                .where(TASKS.c.id.in_(ids))
                .values(status=status, finished_at=now, version=TASKS.c.version + 1)
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
