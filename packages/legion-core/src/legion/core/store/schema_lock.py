"""One migrator at a time per schema: nodes starting together on a new server database would
otherwise both create the tables, and the second would fail half-way.

A session-level lock (PostgreSQL advisory lock, MySQL/MariaDB named lock) held from before
alembic reads the current revision until after the migration's commit, so a node that waited
finds the schema at head. SQLite: none (one file, one node).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, text

from legion.core.errors import UsageError

WAIT_SECONDS = 600  # a slow migration on a big table; then the waiting node gives up
# Server-side expressions naming the lock: per schema (PostgreSQL) or per database (MySQL, whose
# lock names are server-wide and stop at 64 characters).
PG_KEY = "hashtext('legion.migrate.' || current_database() || '.' || current_schema())"
MYSQL_NAME = "CONCAT('legion.migrate.', SHA1(DATABASE()))"


@contextmanager
def schema_lock(conn: Connection) -> Iterator[None]:
    """Hold the migration lock of `conn`'s schema around the block; `conn` must not be in a
    transaction, and the block should commit its own."""
    dialect = conn.dialect.name
    if dialect == "postgresql":
        acquire, release = (
            f"SELECT pg_advisory_lock({PG_KEY})",
            f"SELECT pg_advisory_unlock({PG_KEY})",
        )
    elif dialect in ("mysql", "mariadb"):
        acquire = f"SELECT GET_LOCK({MYSQL_NAME}, {WAIT_SECONDS})"
        release = f"SELECT RELEASE_LOCK({MYSQL_NAME})"
    else:
        yield
        return
    got = conn.execute(text(acquire)).scalar()
    conn.commit()  # end the implicit transaction; the lock belongs to the session
    if dialect != "postgresql" and got != 1:
        raise UsageError(
            f"another node has been migrating this database for over {WAIT_SECONDS} s",
            hint="wait for it to finish, then run `legionio db upgrade` again",
        )
    try:
        yield
    finally:
        conn.execute(text(release))
        conn.commit()
