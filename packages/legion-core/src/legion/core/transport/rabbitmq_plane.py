"""The full-mode work plane: dramatiq on RabbitMQ behind the lite plane's methods.

Every task is a persistent message on its runner's queue, published in batches that each commit
as one AMQP transaction (a worker waits for its follow-ups' batch before acking) and
acknowledged only after the task ran and its outcome is in the store (at-least-once: a worker
killed at any point leaves its message to be delivered again). Delays use dramatiq's delay queues.
Before running a delivered task the worker claims it in the store, so a duplicate delivery
runs nothing; a redelivery (its worker died) takes over the task it left running. A message
that is forged, foreign or unreadable is dead-lettered (`<queue>.XQ`) and logged, never run.
Retries are the engine's own (with its backoff), so dramatiq's retry middleware is not used.
Unrecorded tasks (a node's own frequent ticks) never leave the process: a small local plane
runs them.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import dramatiq
import dramatiq.errors
import pika  # type: ignore[import-untyped]
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from dramatiq.common import q_name
from dramatiq.middleware import Middleware

from legion.core.crypto.box import Keyring
from legion.core.crypto.errors import RejectedMessage
from legion.core.engine import task as st
from legion.core.engine.plane import LocalPlane
from legion.core.engine.task import Task
from legion.core.logging import logger
from legion.core.settings.model import TransportSettings
from legion.core.spool import Spool
from legion.core.store.claims import TaskClaims
from legion.core.transport import task_messages
from legion.core.transport.batch_publisher import BatchPublisher
from legion.core.transport.outbox import Outbox, open_free_spool
from legion.core.transport.queues import queue_for
from legion.core.transport.replies import ReplyListener, outcome_body

ACTOR = "legion.task"
# A claim that cannot reach the database is retried later rather than dropped.
CLAIM_RETRY_MS = (500, 1000, 2000, 5000, 10000)


def connection_url(settings: TransportSettings) -> str:
    """`transport.url` with the heartbeat and connect timeout as pika URL parameters."""
    parts = urlsplit(settings.url)
    query = dict(parse_qsl(parts.query))
    query.setdefault("heartbeat", str(settings.heartbeat))
    query.setdefault("socket_timeout", str(settings.connect_timeout))
    query.setdefault("blocked_connection_timeout", str(max(settings.connect_timeout, 30.0)))
    return urlunsplit(parts._replace(query=urlencode(query)))


class _Delivery(Middleware):
    """Hands the message being processed to the actor and dead-letters rejected ones."""

    def __init__(self) -> None:
        self.current = threading.local()

    def before_process_message(self, broker: Any, message: Any) -> None:
        self.current.message = message

    def after_process_message(
        self, broker: Any, message: Any, *, result: Any = None, exception: Any = None
    ) -> None:
        self.current.message = None
        if isinstance(exception, RejectedMessage):
            message.fail()  # nacked without requeue: RabbitMQ moves it to the .XQ queue


class RabbitPlane:
    distributed = True

    def __init__(
        self,
        handler: Callable[[Task], Task | None],
        *,
        settings: TransportSettings,
        workers: int,
        queues: Callable[[], set[str]],
        claims: TaskClaims,
        flush: Callable[[], object],
        keyring: Keyring | None,
        live: Callable[[str], Task | None],
        resume: Callable[[str], None],
        on_outcome: Callable[[dict[str, Any]], None] | None = None,
        spool: Callable[[str], Spool] | None = None,
        consume: bool = True,
    ) -> None:
        self._handler = handler
        self._settings = settings
        self._workers = workers
        self._queues = queues
        self._claims = claims
        self._flush = flush
        self._keyring = keyring
        self._live = live
        self._resume = resume
        self._replies = (
            ReplyListener(settings.url, keyring, on_outcome) if on_outcome is not None else None
        )
        self._open_spool = spool
        self._outbox: Outbox | None = None
        self._consume = consume
        self._delivery = _Delivery()
        self.broker = RabbitmqBroker(
            url=connection_url(settings),
            confirm_delivery=settings.confirm,
            middleware=[self._delivery],
        )
        self._actor = dramatiq.Actor(
            self._run,
            broker=self.broker,
            actor_name=ACTOR,
            queue_name=f"{settings.queue_prefix}.legion.runners.default",
            priority=0,
            options={},
        )
        self._worker: dramatiq.Worker | None = None
        self._replies_started = False
        self._local = LocalPlane(handler, workers=1)

    # -- the plane's interface ----------------------------------------------------------------
    def start(self) -> None:
        self._local.start()
        if self._replies is not None and not self._replies_started:
            self._replies_started = True
            self._replies.start()
        if self._outbox is None and self._open_spool is not None:
            self._outbox = Outbox(
                lambda message, delay: self.broker.enqueue(message, delay=delay),
                open_free_spool(self._open_spool),
                (dramatiq.errors.BrokerConnectionError,),
                publisher=self._batch_publisher,
            )
            self._outbox.start()
        if self._worker is not None or not self._consume:
            return
        queues = self._queues()
        for queue in queues:
            self.broker.declare_queue(queue, ensure=True)
        self._worker = dramatiq.Worker(
            self.broker, queues=queues, worker_threads=self._workers, worker_timeout=100
        )
        self._worker.queue_prefetch = self._settings.prefetch
        self._worker.start()
        logger.debug("consuming {} queue(s) with {} threads", len(queues), self._workers)

    def submit(self, task: Task) -> None:
        if task.record:
            self._publish(task, None)
        else:
            self._local.submit(task)

    def schedule(self, task: Task, run_at: float) -> None:
        """Deliver `task` at `run_at` (epoch seconds), through the queue's delay queue."""
        if task.record:
            self._publish(task, max(0, int((run_at - time.time()) * 1000)))
        else:
            self._local.schedule(task, run_at)

    def stop(self, timeout: float = 30.0) -> None:
        self._local.stop(timeout)
        if self._worker is not None:
            self._worker.stop(timeout=int(timeout * 1000))
            self._worker = None
        if self._outbox is not None:
            self._outbox.stop()
            self._outbox = None
        if self._replies is not None and self._replies_started:
            self._replies.stop()
            self._replies_started = False
        self.broker.close()

    @property
    def spooled(self) -> int:
        """Messages waiting in the outbox for the broker."""
        return self._outbox.spool.pending if self._outbox is not None else 0

    @property
    def threads(self) -> tuple[threading.Thread, ...]:
        workers = tuple(self._worker.workers) if self._worker is not None else ()
        return (*workers, *self._local.threads)

    @property
    def delayed_count(self) -> int:
        """Delayed tasks held here; delayed messages wait in RabbitMQ and are not counted."""
        return self._local.delayed_count

    # -- publishing ---------------------------------------------------------------------------
    def _batch_publisher(self, outbox: Outbox) -> BatchPublisher:
        return BatchPublisher(
            connection_url(self._settings),
            declare=lambda queue: self.broker.declare_queue(queue, ensure=True),
            on_failed=outbox.spool_failed,
            divert=outbox.diverting,
            transactional=self._settings.confirm,
        )

    def wait_published(self, timeout: float | None = None) -> bool:
        """Block until what this process published is with the broker (or in its spool)."""
        return self._outbox.wait_published(timeout) if self._outbox is not None else True

    def _publish(self, task: Task, delay_ms: int | None) -> None:
        queue = queue_for(task.function, self._settings.queue_prefix)
        message_id = str(uuid.uuid4())
        body = task_messages.encode(task, queue=queue, message_id=message_id, keyring=self._keyring)
        if task.reply_to is None and task.parent_id is None and self._replies_started:
            assert self._replies is not None
            task.reply_to = self._replies.queue_name  # this process may wait for it
        options: dict[str, Any] = {"reply_to": task.reply_to} if task.reply_to else {}
        if task.trace:
            options["trace"] = task.trace
        message: dramatiq.Message[None] = dramatiq.Message(
            queue_name=queue,
            actor_name=ACTOR,
            args=(body,),
            kwargs={},
            options=options,
            message_id=message_id,
        )
        self._send(message, delay_ms or None)

    def _send(self, message: dramatiq.Message[Any], delay_ms: int | None) -> None:
        if self._outbox is not None:
            self._outbox.publish(message, delay_ms)
        else:
            self.broker.enqueue(message, delay=delay_ms)

    # -- consuming ----------------------------------------------------------------------------
    def _run(self, body: str) -> None:
        message: Any = self._delivery.current.message
        queue = q_name(message.queue_name)
        try:
            delivered = task_messages.decode(
                body, queue=queue, message_id=message.message_id, keyring=self._keyring
            )
        except RejectedMessage as exc:
            logger.warning("dead-lettered message {} on {}: {}", message.message_id, queue, exc)
            raise
        # A task submitted in this process is the live object (cancel and hooks act on it).
        task = self._live(delivered.id) or delivered
        task.version = max(task.version, delivered.version)
        task.reply_to = task.reply_to or message.options.get("reply_to")
        task.trace = task.trace or message.options.get("trace")
        try:
            claimed = self._claims.claim(
                task, redelivered=bool(message.redelivered), carried=delivered.version
            )
        except Exception as exc:  # the database is away: try again later, lose nothing
            self._retry_later(message, exc)
            return
        if not claimed:
            if message.redelivered and claimed.status == st.COMPLETED:
                # Its worker died after the task completed but before the ack: the follow-ups
                # may not have been published. They are made again with the same ids.
                self._resume(task.id)
                self._flush_before_ack(message)
            else:
                logger.debug("task {} is {}; delivery skipped", task.id, claimed.status or "taken")
            return
        current: Task | None = task
        while current is not None:
            current = self._handler(current)
        self._flush_before_ack(message)
        if task.reply_to and task.status in st.FINAL:
            self._reply(task)

    def _reply(self, task: Task) -> None:
        """Tell the submitting process the task ended (after the outcome is written)."""
        assert task.reply_to is not None
        try:
            self.broker.channel.basic_publish(
                exchange="",
                routing_key=task.reply_to,
                body=outcome_body(task, task.reply_to, self._keyring),
                properties=pika.BasicProperties(correlation_id=task.id),
            )
        except Exception as exc:  # the waiter falls back on its timeout; the task is done
            logger.warning("could not reply for task {}: {}", task.id, exc)

    def _flush_before_ack(self, message: Any) -> None:
        """The ack follows this: what the task changed must be written, and the follow-ups it
        published must be with the broker (or spooled), first."""
        self.wait_published()
        try:
            self._flush()
        except Exception as exc:  # the writer keeps it; a later copy finds the task ended
            self._retry_later(message, exc)

    def _retry_later(self, message: Any, exc: Exception) -> None:
        tries = int(message.options.get("claim_tries", 0))
        delay = CLAIM_RETRY_MS[min(tries, len(CLAIM_RETRY_MS) - 1)]
        logger.warning("cannot claim a task ({}); again in {} ms", type(exc).__name__, delay)
        again = message.copy(
            queue_name=q_name(message.queue_name),
            options={**message.options, "claim_tries": tries + 1},
        )
        again.options.pop("eta", None)
        self._send(again, delay)
        self.wait_published()  # the copy must exist before this delivery is acked
