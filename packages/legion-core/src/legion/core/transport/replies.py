"""Replies across the cluster (RPC with reply_to): a process that submits a task names its own
reply queue in the message; the worker that finishes the task publishes the outcome there, so
`wait` works when the task ran on another node. Kombu carries the replies (the control plane);
they are sealed like task messages and bound to the reply queue and the task id."""

from __future__ import annotations

import base64
import json
import threading
import uuid
from collections.abc import Callable
from typing import Any

from kombu.connection import Connection
from kombu.entity import Queue
from kombu.messaging import Consumer

from legion.core.crypto import envelope
from legion.core.crypto.box import Keyring
from legion.core.crypto.errors import RejectedMessage
from legion.core.engine import task as st
from legion.core.engine.task import Task
from legion.core.logging import logger

Outcome = dict[str, Any]  # id, status, result, error, finished_at
RECONNECT_DELAY = 1.0


def _headers(reply_to: str, task_id: str) -> dict[str, str]:
    return {"exchange": "", "routing_key": reply_to, "message_id": task_id}


def outcome_body(task: Task, reply_to: str, keyring: Keyring | None) -> bytes:
    """The final state of `task` as a reply body (sealed when the cluster seals messages)."""
    data = json.dumps(
        {
            "id": task.id,
            "status": task.status,
            "result": task.result,
            "error": task.error,
            "finished_at": task.finished_at,
        },
        default=str,
    ).encode()
    if keyring is None:
        return b"p:" + data
    sealed = envelope.seal(data, _headers(reply_to, task.id), keyring)
    return b"s:" + base64.b64encode(sealed)


def read_outcome(body: bytes, reply_to: str, task_id: str, keyring: Keyring | None) -> Outcome:
    kind, rest = body[:2], body[2:]
    if kind == b"s:" and keyring is not None:
        plain = envelope.open(base64.b64decode(rest), _headers(reply_to, task_id), keyring)
    elif kind == b"p:" and keyring is None:
        plain = rest
    else:
        raise ValueError("a reply in the wrong form for this node")
    outcome: Outcome = json.loads(plain)
    if outcome.get("id") != task_id or outcome.get("status") not in st.FINAL:
        raise ValueError("a reply for another task, or not a final state")
    return outcome


class ReplyListener:
    """Consumes this process's exclusive reply queue in a thread and hands each outcome on."""

    def __init__(
        self, url: str, keyring: Keyring | None, on_outcome: Callable[[Outcome], None]
    ) -> None:
        self.url = url
        self.queue_name = f"legion.reply.{uuid.uuid4().hex}"
        self._keyring = keyring
        self._on_outcome = on_outcome
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="legion-replies", daemon=True)

    def start(self, timeout: float = 10.0) -> None:
        """Start consuming; returns once the queue exists, so no reply can be missed."""
        self._thread.start()
        self._ready.wait(timeout)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        queue = Queue(  # type: ignore[no-untyped-call]
            self.queue_name, exclusive=True, auto_delete=True, durable=False
        )
        while not self._stop.is_set():
            try:
                with Connection(self.url, heartbeat=30) as conn:  # type: ignore[no-untyped-call]
                    channel = conn.channel()
                    with Consumer(  # type: ignore[no-untyped-call]
                        channel, queues=[queue], callbacks=[self._handle], no_ack=True, accept=None
                    ):
                        self._ready.set()
                        while not self._stop.is_set():
                            try:
                                conn.drain_events(timeout=0.5)
                            except TimeoutError:
                                conn.heartbeat_check()
            except Exception as exc:  # the broker went away: consume again when it is back
                if self._stop.is_set():
                    return
                logger.warning("reply queue lost ({}); reconnecting", type(exc).__name__)
                self._stop.wait(RECONNECT_DELAY)

    def _handle(self, body: Any, message: Any) -> None:
        task_id = str(message.properties.get("correlation_id") or "")
        raw = message.body if isinstance(message.body, bytes) else str(body).encode()
        try:
            outcome = read_outcome(raw, self.queue_name, task_id, self._keyring)
        except (ValueError, RejectedMessage) as exc:
            logger.warning("ignored a reply on {}: {}", self.queue_name, exc)
            return
        self._on_outcome(outcome)
