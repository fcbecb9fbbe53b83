"""What the task writer's raw SQL needs to know per database: placeholder, identifier quoting,
and the upsert clause (`ON CONFLICT` on SQLite/PostgreSQL, `ON DUPLICATE KEY UPDATE` on MySQL).

Kept apart from the batching so adding a database touches one table here, nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from legion.core.store.urls import unsupported


@dataclass(frozen=True)
class DialectSQL:
    """The pieces of an upsert statement for one database and driver."""

    name: str
    mark: str  # one positional placeholder
    quote_char: str

    def quote(self, identifier: str) -> str:
        return f"{self.quote_char}{identifier}{self.quote_char}"

    def upsert_tail(
        self, table: str, key: str, columns: Sequence[str], version: str = "version"
    ) -> str:
        """Update every column but the key (and `created_at`) when the key already exists, unless
        the stored row has a higher `version` (a newer change written by another process)."""
        updatable = [self.quote(c) for c in columns if c not in (key, "created_at", version)]
        v = self.quote(version)
        if self.name == "mysql":
            # Assignments run left to right and see earlier ones: the version goes last.
            newer = f"VALUES({v}) >= {v}"
            sets = ", ".join(f"{c} = IF({newer}, VALUES({c}), {c})" for c in updatable)
            return f" ON DUPLICATE KEY UPDATE {sets}, {v} = GREATEST({v}, VALUES({v}))"
        sets = ", ".join(f"{c} = excluded.{c}" for c in [*updatable, v])
        return (
            f" ON CONFLICT ({self.quote(key)}) DO UPDATE SET {sets}"
            f" WHERE excluded.{v} >= {self.quote(table)}.{v}"
        )


def dialect_sql(dialect: str, paramstyle: str) -> DialectSQL:
    """The writer's SQL pieces for SQLAlchemy's dialect name and its DBAPI's paramstyle."""
    mark = "?" if paramstyle == "qmark" else "%s"
    if dialect in ("sqlite", "postgresql"):
        return DialectSQL(dialect, mark, '"')
    if dialect in ("mysql", "mariadb"):
        return DialectSQL("mysql", mark, "`")
    raise unsupported(f"a {dialect} database")
