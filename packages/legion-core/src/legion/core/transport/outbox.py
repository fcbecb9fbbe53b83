"""The plane's outbox: messages go to the broker in batches (`BatchPublisher`); while the
broker cannot take them they go to this process's spool, and everything after them too (so
order holds); a background drain replays them once the broker is back. Each process takes
the first free spool of `transport`, `transport.1`, ... so a worker started after one died
finds and drains what the dead one left."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import dramatiq

from legion.core.logging import logger
from legion.core.spool import BackgroundDrain, Spool, SpoolBusy, SpoolMessage, SpoolRecord
from legion.core.transport.batch_publisher import BatchPublisher, Outgoing

MAX_SPOOLS = 256
ETA_HEADER = "eta_ms"


def open_free_spool(open_spool: Callable[[str], Spool]) -> Spool:
    for index in range(MAX_SPOOLS):
        try:
            return open_spool("transport" if index == 0 else f"transport.{index}")
        except SpoolBusy:
            continue
    raise SpoolBusy(f"all {MAX_SPOOLS} transport spools are taken by running processes")


class Outbox:
    """Publishes through `publisher` (or `enqueue`, one message at a time, without one),
    spooling what the broker cannot take; the spool is replayed through `enqueue`."""

    def __init__(
        self,
        enqueue: Callable[[dramatiq.Message[Any], int | None], object],
        spool: Spool,
        connection_errors: tuple[type[BaseException], ...],
        publisher: Callable[[Outbox], BatchPublisher] | None = None,
    ) -> None:
        self._enqueue = enqueue
        self.spool = spool
        self._errors = connection_errors
        self._drain: BackgroundDrain | None = None
        self._offline_since: float | None = None
        self._publisher = publisher(self) if publisher is not None else None

    def start(self) -> None:
        if self._publisher is not None:
            self._publisher.start()
        self._drain = self.spool.drain_in_background(
            self._replay, lambda: True, backoff=0.5, max_backoff=5.0, poll_interval=0.5
        )

    def stop(self) -> None:
        if self._publisher is not None:
            self._publisher.stop()
        if self._drain is not None:
            self._drain.stop(timeout=10)
            self._drain = None
        self.spool.close()

    def publish(self, message: dramatiq.Message[Any], delay_ms: int | None) -> None:
        """Send now when nothing waits in the spool; otherwise (or when the broker is away)
        append to the spool, which raises `SpoolFull` rather than drop anything. With a batch
        publisher the sending happens on its thread: `wait_published` waits for it."""
        if self.spool.pending == 0:
            if self._publisher is not None:
                self._publisher.publish(message, delay_ms)
                return
            try:
                self._enqueue(message, delay_ms)
                if self._offline_since is not None:
                    self._offline_since = None
                return
            except self._errors as exc:
                self._went_offline(exc)
        self._append(message, delay_ms)

    def wait_published(self, timeout: float | None = None) -> bool:
        """Block until every message published so far is with the broker or in the spool."""
        return self._publisher.wait(timeout=timeout) if self._publisher is not None else True

    def diverting(self) -> bool:
        """Whether older messages wait in the spool (newer ones must queue behind them)."""
        return self.spool.pending > 0

    def spool_failed(self, batch: list[Outgoing], exc: BaseException) -> None:
        """The publisher could not send `batch`: keep it, in order, for the drain."""
        self._went_offline(exc)
        for item in batch:
            self._append(item.message, item.delay_ms)

    def _went_offline(self, exc: BaseException) -> None:
        if self._offline_since is None:
            self._offline_since = time.monotonic()
            logger.warning("broker unreachable ({}); spooling publishes", exc)

    def _append(self, message: dramatiq.Message[Any], delay_ms: int | None) -> None:
        headers: dict[str, Any] = {}
        if delay_ms:
            headers[ETA_HEADER] = int(time.time() * 1000) + delay_ms
        self.spool.append(
            SpoolMessage(
                exchange="", routing_key=message.queue_name, body=message.encode(), headers=headers
            )
        )
        if self._drain is not None:
            self._drain.wake()

    def _replay(self, record: SpoolRecord) -> None:
        message = dramatiq.Message.decode(record.body)
        eta = record.headers.get(ETA_HEADER)
        delay = max(0, int(eta) - int(time.time() * 1000)) if eta else None
        self._enqueue(message, delay or None)
        if self._offline_since is not None and self.spool.pending <= 1:
            logger.info("broker back; the spool is drained")
            self._offline_since = None
