"""The ledger table (SQLAlchemy Core) and how to open the database it lives in.

Core rather than an ORM: the writer inserts plain dicts in batches and the summary runs
aggregates, neither needs objects.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Engine,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
)
from sqlalchemy.engine import URL, make_url

TABLE_NAME = "llm_ledger"

metadata = MetaData()

ledger = Table(
    TABLE_NAME,
    metadata,
    Column("record_id", String(32), primary_key=True),
    Column("request_id", String(64), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("kind", String(16), nullable=False),
    # Naive UTC: SQLite keeps no offset, so both databases store the same thing.
    Column("recorded_at", DateTime(timezone=False), nullable=False),
    Column("caller", String(128), nullable=False),
    Column("conversation_id", String(128)),
    Column("request_type", String(32), nullable=False),
    Column("dialect", String(16), nullable=False),
    Column("model_name", String(256), nullable=False),
    Column("tier", String(32)),
    Column("provider", String(64)),
    Column("model", String(256)),
    Column("deployment_id", String(256)),
    Column("input_tokens", Integer, nullable=False),
    Column("output_tokens", Integer, nullable=False),
    Column("thinking_tokens", Integer, nullable=False),
    Column("cost_usd", Float),
    Column("latency_ms", Float, nullable=False),
    Column("ttft_ms", Float),
    Column("route_reason", Text),
    Column("status", String(16), nullable=False),
    Column("error_kind", String(32)),
    Column("error_message", Text),
    Column("stream", Boolean, nullable=False),
    Column("failovers", Integer, nullable=False),
    Index("ix_llm_ledger_recorded_at", "recorded_at"),
    Index("ix_llm_ledger_request_id", "request_id"),
    Index("ix_llm_ledger_caller", "caller"),
)


def ledger_url(url: str) -> URL:
    """Parse a ledger URL; plain `postgresql://` means the psycopg (v3) driver."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def safe_url(url: str) -> str:
    """The URL with its password masked, for messages and logs."""
    try:
        return ledger_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unparseable ledger url>"


def sqlite_path(url: URL) -> Path | None:
    """The file behind a SQLite URL (None for other databases and in-memory SQLite)."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database)


def open_engine(url: str, *, schema: str | None = None) -> Engine:
    """An engine on the ledger database; `schema` puts the table in that PostgreSQL schema."""
    parsed = ledger_url(url)
    kwargs: dict[str, Any] = {"pool_pre_ping": True}
    if parsed.get_backend_name() == "postgresql":
        kwargs["connect_args"] = {"connect_timeout": 5}
    engine = create_engine(parsed, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    if schema is not None:
        engine = engine.execution_options(schema_translate_map={None: schema})
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets `cost summary` read while the gateway writes.
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=5000")
    finally:
        cursor.close()


def create_table(engine: Engine) -> None:
    """Create the table and its indexes if missing."""
    with engine.begin() as conn:
        metadata.create_all(conn, checkfirst=True)
