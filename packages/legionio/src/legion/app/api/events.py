"""Bridges the engine's in-process event bus (called on worker threads) to one SSE client's
asyncio loop, with a bounded queue so a slow client costs memory only up to a limit."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

from litestar.response import ServerSentEventMessage

QUEUE_SIZE = 1000
KEEPALIVE_SECONDS = 15.0


class EventStream:
    """One subscription for one client; cancelled when the client goes away."""

    def __init__(self, bus: Any, pattern: str, *, keepalive: float = KEEPALIVE_SECONDS) -> None:
        self.bus, self.pattern, self.keepalive = bus, pattern, keepalive
        self.dropped = 0
        self._queue: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue(QUEUE_SIZE)
        self._loop: asyncio.AbstractEventLoop | None = None

    def _deliver(self, key: str, body: dict[str, Any]) -> None:
        """Runs on the publishing thread: hand over to the client's loop, never block."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):  # the loop closed in between
            loop.call_soon_threadsafe(self._put, key, body)

    def _put(self, key: str, body: dict[str, Any]) -> None:
        try:
            self._queue.put_nowait((key, body))
        except asyncio.QueueFull:
            self.dropped += 1

    async def messages(self) -> AsyncIterator[ServerSentEventMessage]:
        """A `ready` comment once subscribed, then one message per event (the routing key as
        the SSE event name), and a keep-alive comment when nothing happens for a while."""
        self._loop = asyncio.get_running_loop()
        subscription = self.bus.subscribe(self.pattern, self._deliver)
        try:
            yield ServerSentEventMessage(
                data=None, comment=f"subscribed {self.pattern}", retry=3000
            )
            while True:
                try:
                    key, body = await asyncio.wait_for(self._queue.get(), self.keepalive)
                except TimeoutError:
                    yield ServerSentEventMessage(
                        data=None, comment=f"keep-alive dropped={self.dropped}"
                    )
                    continue
                yield ServerSentEventMessage(event=key, data=json.dumps(body, default=str))
        finally:
            subscription.cancel()
