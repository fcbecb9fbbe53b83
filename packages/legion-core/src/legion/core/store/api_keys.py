"""API keys in the store: created, listed, found by id and revoked; only digests are kept."""

from __future__ import annotations

import sqlite3
import threading
import time
import weakref
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Engine, bindparam
from sqlalchemy import select as core_select
from sqlmodel import Session, select

from legion.core.errors import NotFoundError
from legion.core.store.models import ApiKeyRow


@dataclass(frozen=True)
class ApiKeyRecord:
    """A stored key as callers see it (the digest stays inside the security layer)."""

    id: str
    name: str
    role: str
    digest: str
    created_at: float
    revoked_at: float | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def public(self) -> dict[str, Any]:
        """What `legion auth key list` shows: everything but the digest."""
        data = asdict(self)
        del data["digest"]
        data["active"] = self.active
        return data


def _record(row: ApiKeyRow) -> ApiKeyRecord:
    return ApiKeyRecord(row.id, row.name, row.role, row.digest, row.created_at, row.revoked_at)


_TABLE: Any = ApiKeyRow.__table__  # type: ignore[attr-defined]
# One key by id. Every API request carrying a key runs it, so it skips the ORM (a session
# costs several times the query): a Core statement (compiled once) on any database, and on a
# file-backed SQLite store a plain query on a connection of its own (see `_SqliteReader`).
_SQLITE_BY_ID = "SELECT id, name, role, digest, created_at, revoked_at FROM api_keys WHERE id = ?"
_BY_ID = core_select(
    _TABLE.c.id,
    _TABLE.c.name,
    _TABLE.c.role,
    _TABLE.c.digest,
    _TABLE.c.created_at,
    _TABLE.c.revoked_at,
).where(_TABLE.c.id == bindparam("key_id"))


class _SqliteReader:
    """A read-only connection to a file-backed SQLite store, kept open for key lookups.

    Checking a connection out of the engine's pool and back in costs more than the
    primary-key read itself. The connection is in autocommit mode, so each query is its own
    read transaction and sees every commit before it (a revocation shows on the next
    lookup); the store runs in WAL mode, where readers never wait for writers.
    """

    def __init__(self, path: str) -> None:
        conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        conn.execute("PRAGMA busy_timeout=10000")
        conn.execute("PRAGMA query_only=ON")
        self._conn = conn
        self._lock = threading.Lock()
        weakref.finalize(self, conn.close)

    @staticmethod
    def for_engine(db: Engine) -> _SqliteReader | None:
        path = db.url.database
        if db.dialect.name != "sqlite" or not path or path == ":memory:" or "?" in path:
            return None
        return _SqliteReader(path)

    def one(self, sql: str, params: tuple[Any, ...]) -> tuple[Any, ...] | None:
        with self._lock:
            row: tuple[Any, ...] | None = self._conn.execute(sql, params).fetchone()
        return row


class ApiKeyStore:
    """The `api_keys` table; every call is one short transaction."""

    def __init__(self, db: Engine) -> None:
        self.db = db
        self._reader: _SqliteReader | None = None
        self._reader_checked = False

    def add(self, key_id: str, name: str, role: str, digest: str) -> ApiKeyRecord:
        row = ApiKeyRow(id=key_id, name=name, role=role, digest=digest, created_at=time.time())
        with Session(self.db) as session:
            session.add(row)
            session.commit()
            session.refresh(row)
            return _record(row)

    def get(self, key_id: str) -> ApiKeyRecord | None:
        """The key's current row (read from the store on every call: never cached, so a
        revocation holds from the next request on)."""
        if not self._reader_checked:  # opened on first use: the CLI's stores never need it
            self._reader, self._reader_checked = _SqliteReader.for_engine(self.db), True
        found: Any
        if self._reader is not None:
            found = self._reader.one(_SQLITE_BY_ID, (key_id,))
        else:
            with self.db.connect() as conn:
                found = conn.execute(_BY_ID, {"key_id": key_id}).first()
        return ApiKeyRecord(*found) if found is not None else None

    def list(self, *, include_revoked: bool = True) -> list[ApiKeyRecord]:
        with Session(self.db) as session:
            query = select(ApiKeyRow).order_by(ApiKeyRow.created_at)  # type: ignore[arg-type]
            rows = session.exec(query).all()
            return [_record(r) for r in rows if include_revoked or r.revoked_at is None]

    def revoke(self, key_id: str) -> ApiKeyRecord:
        """Mark a key revoked (kept, so the audit log's `key:<id>` still names something)."""
        with Session(self.db) as session:
            row = session.get(ApiKeyRow, key_id)
            if row is None:
                raise NotFoundError(f"no API key with id {key_id!r}")
            if row.revoked_at is None:
                row.revoked_at = time.time()
                session.add(row)
                session.commit()
                session.refresh(row)
            return _record(row)
