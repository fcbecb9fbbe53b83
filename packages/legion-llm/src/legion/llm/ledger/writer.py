"""Writes ledger records from a background thread so a slow or dead database never delays a
request: `submit` only puts into a bounded queue, and what cannot be kept is counted as dropped.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from typing import TypedDict

from loguru import logger
from sqlalchemy import Engine

from legion.llm.ledger.record import FIELDS, LedgerRecord
from legion.llm.ledger.schema import (
    create_table,
    ledger,
    ledger_url,
    open_engine,
    safe_url,
    sqlite_path,
)

LOG_EVERY = 30.0  # seconds between two logged failures


SQLITE_INSERT = (
    f"INSERT INTO {ledger.name} ({', '.join(FIELDS)}) VALUES ({', '.join('?' for _ in FIELDS)})"
)


class WriterStats(TypedDict):
    written: int
    dropped: int
    queued: int
    last_error: str | None


class LedgerWriter:
    """A bounded queue in front of one writer thread that inserts batches with one executemany.

    While the database is unreachable the queue keeps what fits and the thread retries with
    backoff; records beyond the queue, or in a batch whose insert failed, are dropped (and
    counted) rather than held in memory.
    """

    def __init__(
        self,
        url: str,
        queue_size: int = 10000,
        *,
        schema: str | None = None,
        batch_size: int = 500,
        retry_initial: float = 0.5,
        retry_max: float = 30.0,
        linger: float = 0.05,
    ) -> None:
        if queue_size < 1 or batch_size < 1:
            raise ValueError("queue_size and batch_size must be at least 1")
        self._url = url
        self._schema = schema
        self._batch_size = batch_size
        self._retry_initial = retry_initial
        self._retry_max = retry_max
        # How long a batch may wait for more records: one commit per batch, not per request.
        self._linger = linger
        # None is the wake-up call `stop` sends so the thread need not poll.
        self._queue: queue.Queue[LedgerRecord | None] = queue.Queue(maxsize=queue_size)
        self._lock = threading.Lock()
        self._written = 0
        self._dropped = 0
        self._last_error: str | None = None
        self._last_logged = float("-inf")
        self._accepting = False
        self._stopping = threading.Event()
        self._deadline = float("inf")
        self._thread: threading.Thread | None = None
        self._engine: Engine | None = None

    def __repr__(self) -> str:
        return f"LedgerWriter({safe_url(self._url)!r})"

    # --- the request path -----------------------------------------------------------------------

    def submit(self, record: LedgerRecord) -> bool:
        """Queue `record` for writing; False (and counted as dropped) when it cannot be kept."""
        if self._accepting:
            try:
                self._queue.put_nowait(record)
                return True
            except queue.Full:
                pass
        with self._lock:
            self._dropped += 1
        return False

    def stats(self) -> WriterStats:
        with self._lock:
            return {
                "written": self._written,
                "dropped": self._dropped,
                # Queued or in the batch being inserted.
                "queued": self._queue.unfinished_tasks,
                "last_error": self._last_error,
            }

    # --- life cycle -----------------------------------------------------------------------------

    def start(self) -> None:
        """Start the writer thread; it creates the table (if missing) once the database answers."""
        if self._thread is not None:
            raise RuntimeError("LedgerWriter already started")
        ledger_url(self._url)  # a malformed URL is the caller's mistake: say so now
        self._accepting = True
        self._thread = threading.Thread(target=self._run, name="legion-llm-ledger", daemon=True)
        self._thread.start()

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until everything queued so far is written or dropped; False on timeout."""
        end = time.monotonic() + timeout
        while self._queue.unfinished_tasks:
            if time.monotonic() >= end or self._thread is None or not self._thread.is_alive():
                return False
            time.sleep(0.01)
        return True

    def stop(self, timeout: float = 5.0) -> None:
        """Stop accepting, write what can be written within `timeout`, drop the rest."""
        self._accepting = False
        thread = self._thread
        if thread is None:
            return
        self._deadline = time.monotonic() + timeout
        self._stopping.set()
        with contextlib.suppress(queue.Full):
            self._queue.put_nowait(None)
        thread.join(timeout + 1.0)
        if not thread.is_alive():
            self._drop_queued()

    # --- the writer thread ----------------------------------------------------------------------

    def _run(self) -> None:
        backoff = self._retry_initial
        try:
            while True:
                if self._stopping.is_set() and (
                    self._queue.empty() or time.monotonic() >= self._deadline
                ):
                    break
                if self._engine is None:
                    if self._connect():
                        backoff = self._retry_initial
                    else:
                        self._wait(backoff)
                        backoff = min(backoff * 2, self._retry_max)
                    continue
                batch = self._take_batch()
                if batch and not self._insert(batch):
                    self._wait(backoff)
                    backoff = min(backoff * 2, self._retry_max)
        except BaseException as exc:  # never let the thread die loudly; count and record it
            self._failed("ledger writer stopped", exc)
        finally:
            self._accepting = False
            self._drop_queued()
            self._close_engine()

    def _wait(self, seconds: float) -> None:
        if self._stopping.is_set():
            seconds = min(seconds, max(0.0, self._deadline - time.monotonic()))
        self._stopping.wait(seconds)

    def _connect(self) -> bool:
        try:
            path = sqlite_path(ledger_url(self._url))
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
            engine = open_engine(self._url, schema=self._schema)
            try:
                create_table(engine)
            except BaseException:
                engine.dispose()
                raise
        except Exception as exc:
            self._failed(f"cannot open the ledger at {safe_url(self._url)}", exc)
            return False
        self._engine = engine
        if self._last_error is not None:
            logger.info("ledger at {} is writable again", safe_url(self._url))
        with self._lock:
            self._last_error = None
        return True

    def _take_batch(self) -> list[LedgerRecord]:
        try:
            first = self._queue.get(timeout=0.5)
        except queue.Empty:
            return []
        batch = [first]
        if first is not None and self._queue.qsize() < self._batch_size:
            self._stopping.wait(self._linger)
        while len(batch) < self._batch_size:
            try:
                batch.append(self._queue.get_nowait())
            except queue.Empty:
                break
        records = [item for item in batch if item is not None]
        self._done(len(batch) - len(records))
        return records

    def _insert(self, batch: list[LedgerRecord]) -> bool:
        assert self._engine is not None
        try:
            with self._engine.begin() as conn:
                if conn.dialect.name == "sqlite":
                    # The default database: skip SQLAlchemy's per-row processing, which showed
                    # as a quarter of the gateway's CPU under load.
                    conn.exec_driver_sql(SQLITE_INSERT, [r.as_sqlite_tuple() for r in batch])
                else:
                    conn.execute(ledger.insert(), [record.as_row() for record in batch])
        except Exception as exc:
            with self._lock:
                self._dropped += len(batch)
            self._done(len(batch))
            self._failed(f"cannot write to the ledger at {safe_url(self._url)}", exc)
            # Reconnect (and re-create the table) before the next batch.
            self._close_engine()
            return False
        with self._lock:
            self._written += len(batch)
        self._done(len(batch))
        return True

    def _done(self, count: int) -> None:
        for _ in range(count):
            self._queue.task_done()

    def _drop_queued(self) -> None:
        dropped = taken = 0
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            taken += 1
            dropped += item is not None
        if dropped:
            with self._lock:
                self._dropped += dropped
        self._done(taken)

    def _close_engine(self) -> None:
        engine, self._engine = self._engine, None
        if engine is not None:
            with contextlib.suppress(Exception):
                engine.dispose()

    def _failed(self, what: str, exc: BaseException) -> None:
        message = f"{what}: {type(exc).__name__}: {_first_line(exc)}"
        with self._lock:
            self._last_error = message
        now = time.monotonic()
        if now - self._last_logged >= LOG_EVERY:
            self._last_logged = now
            logger.warning("{} (records that cannot be kept are dropped and counted)", message)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else ""
