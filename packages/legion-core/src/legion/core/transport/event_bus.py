"""The cluster's event bus: the in-process bus, plus a kombu topic exchange (`legion.events`)
that carries every event to the other processes, with the same routing keys and wildcards.

Local subscribers hear local events at once, as in lite mode, and other processes' events once
their pattern is bound on this process's own (exclusive, auto-deleted) queue. Events are
notifications, not state: the store holds the truth, so when the broker is away they are
counted as dropped rather than spooled. Bodies are sealed like task messages.
"""

from __future__ import annotations

import base64
import json
import queue
import threading
import uuid
from typing import Any

from kombu.connection import Connection
from kombu.entity import Exchange, Queue
from kombu.messaging import Consumer, Producer

from legion.core.crypto import envelope
from legion.core.crypto.box import Keyring
from legion.core.crypto.errors import RejectedMessage
from legion.core.engine.bus import Handler, InProcessBus, Subscription
from legion.core.logging import logger

EXCHANGE = "legion.events"
OUTBOX_SIZE = 100_000
RECONNECT_DELAY = 1.0


def _headers(key: str, origin: str) -> dict[str, str]:
    return {"exchange": EXCHANGE, "routing_key": key, "message_id": origin}


class ClusterBus(InProcessBus):
    def __init__(self, url: str, keyring: Keyring | None) -> None:
        super().__init__()
        self.url = url
        self.origin = uuid.uuid4().hex  # this process: its own events come back and are skipped
        self._keyring = keyring
        self._exchange = Exchange(EXCHANGE, type="topic", durable=True)  # type: ignore[no-untyped-call]
        self._outbox: queue.SimpleQueue[tuple[str, dict[str, Any]] | None] = queue.SimpleQueue()
        self._pending = 0
        self._bind: queue.SimpleQueue[tuple[str, str]] = queue.SimpleQueue()
        self._patterns: dict[str, int] = {}
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._threads: list[threading.Thread] = []
        self.dropped = 0  # events not sent because the broker was away or the outbox full

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self, timeout: float = 10.0) -> None:
        if self._threads:
            return
        for target, name in ((self._send, "legion-events-out"), (self._listen, "legion-events-in")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        self._ready.wait(timeout)

    def stop(self) -> None:
        self._stop.set()
        self._outbox.put(None)
        for thread in self._threads:
            thread.join(5)
        self._threads.clear()

    # -- the bus ------------------------------------------------------------------------------
    def subscribe(self, pattern: str, handler: Handler) -> Subscription:
        sub = super().subscribe(pattern, handler)
        count = self._patterns.get(pattern, 0)
        self._patterns[pattern] = count + 1
        if count == 0:
            self._bind.put(("bind", pattern))
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        super().unsubscribe(sub)
        count = self._patterns.get(sub.pattern, 0) - 1
        if count <= 0:
            self._patterns.pop(sub.pattern, None)
            self._bind.put(("unbind", sub.pattern))
        else:
            self._patterns[sub.pattern] = count

    def has_subscribers(self, key: str) -> bool:
        return True  # somebody elsewhere in the cluster may listen

    def publish(self, key: str, body: dict[str, Any]) -> int:
        delivered = super().publish(key, body)
        if self._pending >= OUTBOX_SIZE:
            self.dropped += 1
        else:
            self._pending += 1
            self._outbox.put((key, body))
        return delivered

    # -- sending ------------------------------------------------------------------------------
    def _encode(self, key: str, body: dict[str, Any]) -> bytes:
        data = json.dumps(body, default=str).encode()
        if self._keyring is None:
            return b"p:" + data
        return b"s:" + base64.b64encode(
            envelope.seal(data, _headers(key, self.origin), self._keyring)
        )

    def _send(self) -> None:
        while not self._stop.is_set():
            try:
                with Connection(self.url, heartbeat=30) as conn:  # type: ignore[no-untyped-call]
                    producer: Any = Producer(conn.channel(), exchange=self._exchange)  # type: ignore[no-untyped-call]
                    producer.declare()
                    while True:
                        item = self._outbox.get()
                        if item is None:
                            return
                        self._pending -= 1
                        key, body = item
                        try:
                            producer.publish(
                                self._encode(key, body),
                                routing_key=key,
                                content_type="application/octet-stream",
                                content_encoding="binary",
                                headers={"origin": self.origin},
                                retry=False,
                            )
                        except Exception:
                            self.dropped += 1
                            raise
            except Exception as exc:
                if self._stop.is_set():
                    return
                logger.warning("event exchange unreachable ({}); events dropped meanwhile", exc)
                self._drain_while_offline()

    def _drain_while_offline(self) -> None:
        """Count what cannot be sent during the reconnect delay (events are not spooled)."""
        self._stop.wait(RECONNECT_DELAY)
        while True:
            try:
                item = self._outbox.get_nowait()
            except queue.Empty:
                return
            if item is None:
                self._outbox.put(None)
                return
            self._pending -= 1
            self.dropped += 1

    # -- receiving ----------------------------------------------------------------------------
    def _listen(self) -> None:
        name = f"legion.events.{self.origin}"
        while not self._stop.is_set():
            try:
                with Connection(self.url, heartbeat=30) as conn:  # type: ignore[no-untyped-call]
                    channel = conn.channel()
                    events = Queue(  # type: ignore[no-untyped-call]
                        name,
                        exchange=self._exchange,
                        routing_key="legion.none",
                        exclusive=True,
                        auto_delete=True,
                        durable=False,
                    )
                    bound: Any = events(channel)
                    bound.declare()
                    for pattern in list(self._patterns):
                        bound.bind_to(exchange=EXCHANGE, routing_key=pattern)
                    with Consumer(  # type: ignore[no-untyped-call]
                        channel,
                        queues=[bound],
                        callbacks=[self._deliver],
                        no_ack=True,
                        accept=None,
                    ):
                        self._ready.set()
                        while not self._stop.is_set():
                            self._apply_bindings(bound)
                            try:
                                conn.drain_events(timeout=0.2)
                            except TimeoutError:
                                conn.heartbeat_check()
            except Exception as exc:
                if self._stop.is_set():
                    return
                logger.warning("event queue lost ({}); reconnecting", type(exc).__name__)
                self._stop.wait(RECONNECT_DELAY)

    def _apply_bindings(self, bound: Any) -> None:
        while True:
            try:
                action, pattern = self._bind.get_nowait()
            except queue.Empty:
                return
            if action == "bind":
                bound.bind_to(exchange=EXCHANGE, routing_key=pattern)
            else:
                bound.unbind_from(exchange=EXCHANGE, routing_key=pattern)

    def _deliver(self, _: Any, message: Any) -> None:
        headers = message.headers or {}
        origin = str(headers.get("origin", ""))
        if origin == self.origin:
            return
        key = message.delivery_info.get("routing_key", "")
        raw: bytes = message.body if isinstance(message.body, bytes) else bytes(message.body)
        try:
            kind, rest = raw[:2], raw[2:]
            if kind == b"s:" and self._keyring is not None:
                data = envelope.open(base64.b64decode(rest), _headers(key, origin), self._keyring)
            elif kind == b"p:" and self._keyring is None:
                data = rest
            else:
                raise ValueError("an event in the wrong form for this node")
            body = json.loads(data)
        except (ValueError, RejectedMessage) as exc:
            logger.warning("ignored an event on {}: {}", key, exc)
            return
        super().publish(key, body)
