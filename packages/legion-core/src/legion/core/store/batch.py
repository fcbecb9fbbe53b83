"""The SQL of the task writer: multi-row INSERTs, so the database runs a whole chunk of rows in
one call with the GIL released instead of taking it back for every row (as executemany does)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from legion.core.store.dialects import dialect_sql

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
        max_bytes: int | None = None,
    ) -> None:
        sql = dialect_sql(dialect, paramstyle)
        mark, quote = sql.mark, sql.quote
        names = ", ".join(quote(c) for c in columns)
        self._tasks_tail = sql.upsert_tail("tasks", "id", columns)
        self._tasks_head = f"INSERT INTO {quote('tasks')} ({names}) VALUES "
        self._task_marks = "(" + ", ".join(mark for _ in columns) + ")"
        log_names = ", ".join(quote(c) for c in LOG_COLUMNS)
        self._logs_head = f"INSERT INTO {quote('task_logs')} ({log_names}) VALUES "
        self._log_marks = "(" + ", ".join(mark for _ in LOG_COLUMNS) + ")"
        self._task_chunk = _largest_chunk(len(columns), max_params)
        self._log_chunk = _largest_chunk(len(LOG_COLUMNS), max_params)
        self._max_bytes = max_bytes  # MySQL: a statement must fit in max_allowed_packet
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
                if self._max_bytes is None:
                    yield sql_for(size), [value for row in part for value in row]
                else:
                    for piece in _fitting(part, self._max_bytes):
                        yield sql_for(len(piece)), [value for row in piece for value in row]


def _size(rows: Sequence[tuple[Any, ...]]) -> int:
    """Roughly the bytes `rows` take in a statement (strings count, other values are small)."""
    return sum(len(v) * 4 if isinstance(v, str) else 24 for row in rows for v in row)


def _fitting(
    rows: Sequence[tuple[Any, ...]], max_bytes: int
) -> Iterator[Sequence[tuple[Any, ...]]]:
    """`rows` halved until each part fits in `max_bytes` (halves keep the power-of-two sizes);
    a single row too big for the server is sent anyway, for the server to report."""
    if len(rows) == 1 or _size(rows) <= max_bytes:
        yield rows
        return
    half = len(rows) // 2
    yield from _fitting(rows[:half], max_bytes)
    yield from _fitting(rows[half:], max_bytes)


def sqlite_max_params(connection: Any) -> int:
    """The placeholder limit of a sqlite3 connection, capped at MAX_PARAMS."""
    import sqlite3

    try:
        limit = int(connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))
    except (AttributeError, sqlite3.Error):
        limit = SQLITE_OLD_MAX_PARAMS
    return min(limit, MAX_PARAMS)


def mysql_max_bytes(cursor: Any) -> int:
    """What a statement may hold on a MySQL/MariaDB server, with room for the SQL around it."""
    cursor.execute("SELECT @@max_allowed_packet")
    row = cursor.fetchone()
    return int(row[0]) - (64 << 10)
