"""Publishing many messages per broker round trip: callers hand messages to a thread that
sends whatever has gathered as one AMQP transaction (`tx.commit` returns once RabbitMQ has
taken every message of it), so a burst of submits costs one round trip per batch instead of one
confirm per message. `wait` blocks until what was handed over so far is settled: committed, or
passed to `on_failed` (the outbox's spool) when the broker could not take it.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import dramatiq
import dramatiq.errors
import pika  # type: ignore[import-untyped]
from dramatiq.common import dq_name, q_name

from legion.core.logging import logger

MAX_BATCH = 500
RECONNECT_DELAY = 0.5
# What a lost or refused connection raises; anything else is a bug and is logged as one.
BROKER_ERRORS: tuple[type[BaseException], ...] = (
    pika.exceptions.AMQPError,
    dramatiq.errors.BrokerConnectionError,
    OSError,
)


@dataclass(frozen=True)
class Outgoing:
    message: dramatiq.Message[Any]
    delay_ms: int | None


class BatchPublisher:
    def __init__(
        self,
        url: str,
        *,
        declare: Callable[[str], object],
        on_failed: Callable[[list[Outgoing], BaseException], None],
        divert: Callable[[], bool] = lambda: False,
        transactional: bool = True,
        max_batch: int = MAX_BATCH,
    ) -> None:
        self._params = pika.URLParameters(url)
        self._declare = declare  # makes sure a canonical queue (and its .DQ/.XQ) exists
        self._on_failed = on_failed
        self._divert = divert  # true while older messages wait in the spool: keep the order
        self._transactional = transactional
        self._max_batch = max_batch
        self._cond = threading.Condition()
        self._queue: list[Outgoing] = []
        self._handed = 0  # messages handed over
        self._settled = 0  # of those, committed or passed to on_failed
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._connection: Any = None
        self._channel: Any = None
        self._declared: set[str] = set()
        self._broken_until = 0.0

    def start(self) -> None:
        if self._thread is None:
            self._stopping = False
            self._thread = threading.Thread(target=self._loop, name="legion-publisher", daemon=True)
            self._thread.start()

    def publish(self, message: dramatiq.Message[Any], delay_ms: int | None) -> int:
        """Hand `message` over; returns its number for `wait`."""
        with self._cond:
            self._queue.append(Outgoing(message, delay_ms))
            self._handed += 1
            self._cond.notify_all()
            return self._handed

    def wait(self, upto: int | None = None, timeout: float | None = None) -> bool:
        """Block until message number `upto` (default: everything handed over) is settled."""
        with self._cond:
            target = self._handed if upto is None else upto
            return self._cond.wait_for(lambda: self._settled >= target, timeout)

    @property
    def backlog(self) -> int:
        with self._cond:
            return self._handed - self._settled

    def stop(self, timeout: float = 30.0) -> None:
        """Send what is queued (or pass it to `on_failed`), then close the connection."""
        thread = self._thread
        if thread is None:
            return
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        thread.join(timeout)
        self._thread = None
        with self._cond:
            left, self._queue = self._queue, []
        if left:  # the thread did not finish in time: the spool keeps them
            self._fail(left, TimeoutError("the publisher stopped before sending these"))
        self._close()

    # -- the publishing thread ----------------------------------------------------------------
    def _loop(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: bool(self._queue) or self._stopping)
                if not self._queue:
                    return
                batch = self._queue[: self._max_batch]
                del self._queue[: self._max_batch]
            self._send(batch)

    def _send(self, batch: list[Outgoing]) -> None:
        if self._divert() or time.monotonic() < self._broken_until:
            self._fail(batch, ConnectionError("the broker was unreachable a moment ago"))
            return
        try:
            channel = self._open()
            for item in batch:
                self._publish_one(channel, item)
            if self._transactional:
                channel.tx_commit()
        except BROKER_ERRORS as exc:
            self._close()
            self._broken_until = time.monotonic() + RECONNECT_DELAY
            self._fail(batch, exc)
            return
        except Exception as exc:  # a bug: never lose the batch over it
            logger.opt(exception=exc).error("publishing a batch failed unexpectedly")
            self._close()
            self._fail(batch, exc)
            return
        self._settle(len(batch))

    def _publish_one(self, channel: Any, item: Outgoing) -> None:
        message = item.message
        canonical = q_name(message.queue_name)
        if canonical not in self._declared:
            self._declare(canonical)
            self._declared.add(canonical)
        routing_key = canonical
        if item.delay_ms is not None:
            routing_key = dq_name(canonical)
            eta = int(time.time() * 1000) + item.delay_ms
            message = message.copy(queue_name=routing_key, options={"eta": eta})
        channel.basic_publish(
            exchange="",
            routing_key=routing_key,
            body=message.encode(),
            properties=pika.BasicProperties(
                delivery_mode=2, priority=message.options.get("broker_priority")
            ),
        )

    def _open(self) -> Any:
        if self._channel is None or not self._channel.is_open:
            self._close()
            self._connection = pika.BlockingConnection(self._params)
            self._channel = self._connection.channel()
            if self._transactional:
                self._channel.tx_select()
        return self._channel

    def _close(self) -> None:
        connection, self._connection, self._channel = self._connection, None, None
        if connection is not None and connection.is_open:
            with contextlib.suppress(*BROKER_ERRORS):
                connection.close()

    def _fail(self, batch: list[Outgoing], exc: BaseException) -> None:
        try:
            self._on_failed(batch, exc)
        except Exception as error:  # e.g. the spool is full: say loudly what is not sent
            logger.error(
                "{} message(s) could not be published or spooled ({}); their tasks stay "
                "queued in the store and are published again when a node recovers",
                len(batch),
                error,
            )
        finally:
            self._settle(len(batch))

    def _settle(self, count: int) -> None:
        with self._cond:
            self._settled += count
            self._cond.notify_all()
