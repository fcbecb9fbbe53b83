"""A task as the engine holds it in memory; the store persists the same fields."""

from __future__ import annotations

import hashlib
import itertools
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

QUEUED = "queued"
SCHEDULED = "scheduled"
DELAYED = "delayed"
RUNNING = "running"
COMPLETED = "completed"
FAILED = "failed"
EXCEPTION = "exception"
CONDITIONER_FAILED = "conditioner.failed"
TRANSFORMER_FAILED = "transformer.failed"
CANCELLED = "cancelled"
EXPIRED = "expired"

STATUSES = (
    QUEUED,
    SCHEDULED,
    DELAYED,
    RUNNING,
    COMPLETED,
    FAILED,
    EXCEPTION,
    CONDITIONER_FAILED,
    TRANSFORMER_FAILED,
    CANCELLED,
    EXPIRED,
)
# A task in one of these will not change again.
FINAL = frozenset(
    {COMPLETED, FAILED, EXCEPTION, CONDITIONER_FAILED, TRANSFORMER_FAILED, CANCELLED, EXPIRED}
)
PENDING = frozenset({QUEUED, SCHEDULED, DELAYED})

_counter = itertools.count(random.getrandbits(16))
_node = os.getpid() & 0xFFFF


def new_id() -> str:
    """Time-ordered 32-hex-digit id: sorts by creation, unique across processes and nodes."""
    return (
        f"{time.time_ns():016x}{_node:04x}{next(_counter) & 0xFFFF:04x}{random.getrandbits(32):08x}"
    )


def child_id(parent_id: str, relationship_id: int | None, item: int, fan_out: int) -> str:
    """The id of a follow-up, derived from where it comes from: a parent run again after its
    worker died makes the same children, and the store runs each of them once. It sorts with its
    parent (the parent's time prefix)."""
    digest = hashlib.blake2b(
        f"{parent_id}/{relationship_id}/{item}/{fan_out}".encode(), digest_size=8
    ).hexdigest()
    return parent_id[:16] + digest


@dataclass(slots=True)
class Task:
    function: str
    args: dict[str, Any]
    id: str = field(default_factory=new_id)
    status: str = QUEUED
    payload: dict[str, Any] | None = None
    result: Any = None
    error: dict[str, Any] | None = None
    parent_id: str | None = None
    master_id: str | None = None
    depth: int = 0
    chain: str | None = None
    relationship_id: int | None = None
    attempts: int = 0
    max_retries: int = 0
    idempotency_key: str | None = None
    created_at: float = field(default_factory=time.time)
    started_at: float | None = None
    finished_at: float | None = None
    run_at: float | None = None
    # Bumped by every recorded change: the store keeps the highest, whichever process wrote last.
    version: int = 0
    call_args: dict[str, Any] | None = field(default=None, repr=False, compare=False)
    # JSON text already produced while validating, reused by the store instead of encoding twice.
    args_json: str | None = field(default=None, repr=False, compare=False)
    result_json: str | None = field(default=None, repr=False, compare=False)
    # Not persisted: maps the result before follow-ups see it (a poll actor passes the diff).
    result_hook: Callable[[Any], Any] | None = field(default=None, repr=False, compare=False)
    # False: run without writing to the store (frequent internal ticks such as heartbeats).
    record: bool = field(default=True, repr=False, compare=False)
    # Not persisted: the reply queue of the process waiting for it (full mode).
    reply_to: str | None = field(default=None, repr=False, compare=False)
    # Not persisted: the trace this task continues (W3C carrier), and the one its children do.
    trace: dict[str, str] | None = field(default=None, repr=False, compare=False)
    trace_children: dict[str, str] | None = field(default=None, repr=False, compare=False)

    @property
    def root_id(self) -> str:
        return self.master_id or self.id

    def row(self) -> dict[str, Any]:
        """The fields as the store writes them."""
        return {
            "id": self.id,
            "function": self.function,
            "status": self.status,
            "args": self.args,
            "payload": self.payload,
            "result": self.result,
            "error": self.error,
            "parent_id": self.parent_id,
            "master_id": self.master_id,
            "depth": self.depth,
            "chain": self.chain,
            "relationship_id": self.relationship_id,
            "attempts": self.attempts,
            "max_retries": self.max_retries,
            "idempotency_key": self.idempotency_key,
            "created_at": self.created_at,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "run_at": self.run_at,
            "version": self.version,
        }

    def event(self) -> dict[str, Any]:
        """What a `task.<status>` event carries (no args or result: those may be large)."""
        return {
            "id": self.id,
            "function": self.function,
            "status": self.status,
            "master_id": self.master_id,
            "parent_id": self.parent_id,
            "chain": self.chain,
            "error": self.error["message"] if self.error else None,
        }

    @classmethod
    def from_row(cls, row: Any) -> Task:
        data = dict(row._mapping) if hasattr(row, "_mapping") else dict(row)
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})
