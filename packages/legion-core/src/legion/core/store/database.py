"""Connections: one SQLAlchemy engine per URL, tuned per backend."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event

from legion.core.settings.model import Settings
from legion.core.store.urls import SQLITE, backend_of, require_driver

# Server pools: 4 workers, the writer and a few readers fit in the pool; bursts overflow. MySQL
# closes idle connections after wait_timeout (8 h by default), so connections are renewed sooner.
POOL_SIZE = 5
MAX_OVERFLOW = 10
POOL_RECYCLE = 1800.0


def database_url(settings: Settings) -> str:
    """`data.url`, else a SQLite file in LEGION_HOME (created with its directory)."""
    if settings.data.url:
        return settings.data.url
    settings.home.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{settings.home / 'legion.db'}"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """An engine for SQLite, PostgreSQL (psycopg) or MySQL/MariaDB (pymysql); a ConfigError
    names the supported URLs or the extra that installs a missing driver."""
    backend, sa_url = backend_of(url)
    if backend is SQLITE:
        path = sa_url.database or ""
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    require_driver(backend, sa_url)
    return create_engine(
        sa_url,
        echo=echo,
        pool_pre_ping=True,
        pool_size=POOL_SIZE,
        max_overflow=MAX_OVERFLOW,
        pool_recycle=POOL_RECYCLE,
    )


def open_database(settings: Settings) -> Engine:
    return make_engine(database_url(settings), echo=settings.data.echo)
