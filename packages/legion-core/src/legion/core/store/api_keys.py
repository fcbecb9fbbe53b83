"""API keys in the store: created, listed, found by id and revoked; only digests are kept."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Engine
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


class ApiKeyStore:
    """The `api_keys` table; every call is one short transaction."""

    def __init__(self, db: Engine) -> None:
        self.db = db

    def add(self, key_id: str, name: str, role: str, digest: str) -> ApiKeyRecord:
        row = ApiKeyRow(id=key_id, name=name, role=role, digest=digest, created_at=time.time())
        with Session(self.db) as session:
            session.add(row)
            session.commit()
            session.refresh(row)
            return _record(row)

    def get(self, key_id: str) -> ApiKeyRecord | None:
        with Session(self.db) as session:
            row = session.get(ApiKeyRow, key_id)
            return _record(row) if row is not None else None

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
