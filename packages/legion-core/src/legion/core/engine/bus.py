"""The in-process event bus with AMQP topic semantics: `*` matches one word, `#` zero or more.

Full mode extends it with a kombu topic exchange (`legion.core.transport.event_bus`); routing keys
and wildcard rules stay the same.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

from legion.core.logging import logger

Handler = Callable[[str, dict[str, Any]], None]


def topic_matches(pattern: str, key: str) -> bool:
    """AMQP topic match of dotted words: `*` is exactly one word, `#` zero or more."""
    return _match(tuple(pattern.split(".")), tuple(key.split(".")) if key else ())


@functools.lru_cache(maxsize=4096)
def _match(pattern: tuple[str, ...], key: tuple[str, ...]) -> bool:
    if not pattern:
        return not key
    head, rest = pattern[0], pattern[1:]
    if head == "#":
        return any(_match(rest, key[i:]) for i in range(len(key) + 1))
    if not key:
        return False
    return (head == "*" or head == key[0]) and _match(rest, key[1:])


class Subscription:
    def __init__(self, bus: InProcessBus, pattern: str, handler: Handler) -> None:
        self.bus, self.pattern, self.handler = bus, pattern, handler

    def cancel(self) -> None:
        self.bus.unsubscribe(self)


class InProcessBus:
    """Synchronous delivery to every matching subscriber; a failing handler never stops others."""

    def __init__(self) -> None:
        self._subs: list[Subscription] = []
        self._lock = threading.Lock()
        self._routes: dict[str, tuple[Subscription, ...]] = {}

    def start(self) -> None:
        """Nothing to connect in one process (the cluster's bus connects here)."""

    def stop(self) -> None:
        """Nothing to close in one process."""

    def subscribe(self, pattern: str, handler: Handler) -> Subscription:
        sub = Subscription(self, pattern, handler)
        with self._lock:
            self._subs.append(sub)
            self._routes = {}
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            if sub in self._subs:
                self._subs.remove(sub)
            self._routes = {}

    def _route(self, key: str) -> tuple[Subscription, ...]:
        routes = self._routes
        found = routes.get(key)
        if found is None:
            with self._lock:
                found = tuple(s for s in self._subs if topic_matches(s.pattern, key))
                self._routes[key] = found
        return found

    def has_subscribers(self, key: str) -> bool:
        return bool(self._subs) and bool(self._route(key))

    def publish(self, key: str, body: dict[str, Any]) -> int:
        """Deliver to every subscriber whose pattern matches `key`; returns how many got it."""
        if not self._subs:
            return 0
        delivered = 0
        for sub in self._route(key):
            try:
                sub.handler(key, body)
                delivered += 1
            except Exception:
                logger.opt(exception=True).warning("event handler for {} failed", sub.pattern)
        return delivered
