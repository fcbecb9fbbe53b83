"""Recording audited calls (API requests and MCP tool calls) to the store's hash-chained log.

Writes run in a worker thread so the event loop never waits on the database; a failed write
is logged (without credentials) and does not change the caller's response.
"""

from __future__ import annotations

import anyio.to_thread
from sqlalchemy import Engine

from legion.core.logging import logger
from legion.core.store.audit import AuditEntry, AuditStore

MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class AuditLog:
    """The security layer's view of the audit store: append, sync or async, never raise."""

    def __init__(self, db: Engine) -> None:
        self.store = AuditStore(db)

    def record(self, entry: AuditEntry) -> None:
        try:
            self.store.append(entry)
        except Exception as exc:  # the audit sink failing must not become the caller's error
            logger.error(
                "audit log write failed for {} {} ({}): {}",
                entry.method,
                entry.path,
                entry.principal,
                type(exc).__name__,
            )

    async def arecord(self, entry: AuditEntry) -> None:
        await anyio.to_thread.run_sync(self.record, entry)
