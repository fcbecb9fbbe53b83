"""The audit log: an append-only, hash-chained table of who did what, and its verification.

Each row's `hash` is SHA-256 over the previous row's hash and this row's content, so changing,
removing or reordering a past row breaks the chain at that row, which `verify` reports.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from legion.core.store.models import AuditRow

GENESIS = "0" * 64
CONTENT_FIELDS = (
    "seq",
    "at",
    "request_id",
    "principal",
    "method",
    "path",
    "resource",
    "action",
    "decision",
    "rule",
    "status",
    "reason",
)
_RETRIES = 20


@dataclass(frozen=True)
class AuditEntry:
    """What a caller records; the store adds seq, time and the chain hashes."""

    request_id: str
    principal: str
    method: str
    path: str
    decision: str  # allow | deny
    resource: str | None = None
    action: str | None = None
    rule: str | None = None
    status: int | None = None
    reason: str | None = None


@dataclass(frozen=True)
class ChainProblem:
    """The first row where the chain does not hold, and why."""

    seq: int
    id: int | None
    problem: str


def row_hash(prev_hash: str, content: dict[str, Any]) -> str:
    """SHA-256 over the previous hash and the row's content as canonical JSON."""
    body = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{prev_hash}\n{body}".encode()).hexdigest()


def content_of(row: AuditRow) -> dict[str, Any]:
    return {name: getattr(row, name) for name in CONTENT_FIELDS}


def to_dict(row: AuditRow) -> dict[str, Any]:
    """JSON-ready form of a row, chain hashes included."""
    return {"id": row.id, **content_of(row), "prev_hash": row.prev_hash, "hash": row.hash}


class AuditStore:
    """Appends under a process lock; the unique seq/prev_hash settle races between processes."""

    def __init__(self, db: Engine) -> None:
        self.db = db
        self._lock = threading.Lock()

    def append(self, entry: AuditEntry, *, at: float | None = None) -> dict[str, Any]:
        with self._lock:
            for _ in range(_RETRIES):
                try:
                    return self._append_once(entry, time.time() if at is None else at)
                except IntegrityError:
                    continue  # another process took this place in the chain; go again
        raise RuntimeError("could not append to the audit log: the chain kept moving")

    def _append_once(self, entry: AuditEntry, at: float) -> dict[str, Any]:
        with Session(self.db) as session:
            last = session.exec(
                select(AuditRow).order_by(col(AuditRow.seq).desc()).limit(1)
            ).first()
            seq = (last.seq + 1) if last is not None else 1
            prev = last.hash if last is not None else GENESIS
            row = AuditRow(seq=seq, at=at, prev_hash=prev, hash="", **asdict(entry))
            row.hash = row_hash(prev, content_of(row))
            session.add(row)
            session.commit()
            session.refresh(row)
            return to_dict(row)

    def list(
        self,
        *,
        since: float | None = None,
        principal: str | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """Rows oldest first; the newest `limit` of them when a limit is given."""
        with Session(self.db) as session:
            query = select(AuditRow)
            if since is not None:
                query = query.where(col(AuditRow.at) >= since)
            if principal is not None:
                query = query.where(col(AuditRow.principal) == principal)
            query = query.order_by(col(AuditRow.seq).desc())
            if limit is not None:
                query = query.limit(limit)
            rows = [to_dict(r) for r in session.exec(query).all()]
        rows.reverse()
        return rows

    def _rows(self, batch: int = 1000) -> Iterator[AuditRow]:
        after = 0
        while True:
            with Session(self.db) as session:
                query = (
                    select(AuditRow)
                    .where(col(AuditRow.seq) > after)
                    .order_by(col(AuditRow.seq))
                    .limit(batch)
                )
                rows = list(session.exec(query).all())
            if not rows:
                return
            yield from rows
            after = rows[-1].seq

    def verify(self) -> tuple[int, ChainProblem | None]:
        """Walk the chain from the start: (rows checked, the first problem or None)."""
        expected_prev, expected_seq, checked = GENESIS, 1, 0
        for row in self._rows():
            if row.seq != expected_seq:
                return checked, ChainProblem(
                    row.seq, row.id, f"sequence gap: expected row {expected_seq}, found {row.seq}"
                )
            if row.prev_hash != expected_prev:
                return checked, ChainProblem(
                    row.seq, row.id, "prev_hash does not match the hash of the row before"
                )
            if row_hash(row.prev_hash, content_of(row)) != row.hash:
                return checked, ChainProblem(
                    row.seq, row.id, "content does not match its hash (the row was modified)"
                )
            expected_prev, expected_seq, checked = row.hash, expected_seq + 1, checked + 1
        return checked, None
