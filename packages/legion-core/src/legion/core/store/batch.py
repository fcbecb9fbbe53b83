"""The SQL of the task writer: multi-row INSERTs, so the database runs a whole chunk of rows in
one call with the GIL released instead of taking it back for every row (as executemany does)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from legion.core.errors import ConfigError

# Placeholders per statement: big chunks mean few GIL round trips per flush, and a prepared
# statement this size stays small (~0.1 MB). SQLite builds older than 3.32 allow only 999.
MAX_PARAMS = 5000
SQLITE_OLD_MAX_PARAMS = 999
LOG_COLUMNS = ("task_id", "at", "status", "message")


def chunk_sizes(count: int, largest: int) -> Iterator[int]:
    """`count` split into full chunks of `largest` (a power of two), then powers of two, so a
    handful of statement shapes cover every batch and each is prepared once per connection."""
    while count >= largest:
        yield largest
        count -= largest
    size = largest >> 1
    while count:
        if count >= size:
            yield size
            count -= size
        size >>= 1


def _largest_chunk(width: int, max_params: int) -> int:
    size = 1
    while size * 2 * width <= max_params:
        size *= 2
    return size


class BatchSQL:
    """Upserts of task rows and inserts of log lines for one dialect, cached by chunk size."""

    def __init__(
        self,
        dialect: str,
        paramstyle: str,
        columns: Sequence[str],
        max_params: int = MAX_PARAMS,
    ) -> None:
        mark = "?" if paramstyle == "qmark" else "%s"
        names = ", ".join(columns)
        updatable = [c for c in columns if c not in ("id", "created_at")]
        if dialect in ("sqlite", "postgresql"):
            sets = ", ".join(f"{c} = excluded.{c}" for c in updatable)
            self._tasks_tail = f" ON CONFLICT (id) DO UPDATE SET {sets}"
        elif dialect in ("mysql", "mariadb"):
            sets = ", ".join(f"{c} = VALUES({c})" for c in updatable)
            self._tasks_tail = f" ON DUPLICATE KEY UPDATE {sets}"
        else:
            raise ConfigError(
                f"data.url points at a {dialect} database; Legion stores tasks in SQLite, "
                "PostgreSQL or MySQL/MariaDB",
                hint="set data.url to one of those (or leave it unset for SQLite)",
            )
        self._tasks_head = f"INSERT INTO tasks ({names}) VALUES "
        self._task_marks = "(" + ", ".join(mark for _ in columns) + ")"
        self._logs_head = f"INSERT INTO task_logs ({', '.join(LOG_COLUMNS)}) VALUES "
        self._log_marks = "(" + ", ".join(mark for _ in LOG_COLUMNS) + ")"
        self._task_chunk = _largest_chunk(len(columns), max_params)
        self._log_chunk = _largest_chunk(len(LOG_COLUMNS), max_params)
        self._tasks_sql: dict[int, str] = {}
        self._logs_sql: dict[int, str] = {}

    def tasks_sql(self, rows: int) -> str:
        sql = self._tasks_sql.get(rows)
        if sql is None:
            values = ", ".join(self._task_marks for _ in range(rows))
            sql = self._tasks_sql[rows] = self._tasks_head + values + self._tasks_tail
        return sql

    def logs_sql(self, rows: int) -> str:
        sql = self._logs_sql.get(rows)
        if sql is None:
            values = ", ".join(self._log_marks for _ in range(rows))
            sql = self._logs_sql[rows] = self._logs_head + values
        return sql

    def statements(
        self, rows: Sequence[tuple[Any, ...]], lines: Sequence[tuple[Any, ...]]
    ) -> Iterator[tuple[str, list[Any]]]:
        """(sql, flat parameters) for every chunk of task rows, then every chunk of log lines."""
        for table_rows, sql_for, largest in (
            (rows, self.tasks_sql, self._task_chunk),
            (lines, self.logs_sql, self._log_chunk),
        ):
            start = 0
            for size in chunk_sizes(len(table_rows), largest):
                part = table_rows[start : start + size]
                start += size
                yield sql_for(size), [value for row in part for value in row]


def sqlite_max_params(connection: Any) -> int:
    """The placeholder limit of a sqlite3 connection, capped at MAX_PARAMS."""
    import sqlite3

    try:
        limit = int(connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))
    except (AttributeError, sqlite3.Error):
        limit = SQLITE_OLD_MAX_PARAMS
    return min(limit, MAX_PARAMS)
