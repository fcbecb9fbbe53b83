"""The one Redis connection of a process per URL, and when full mode should use it at all.

Locks, cache and rate limits share a client (and so a connection pool) per URL instead of each
opening its own; redis-py's pool reconnects after a fork on its own.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import redis

if TYPE_CHECKING:
    from legion.core.settings.model import Settings

_CLIENTS: dict[str, redis.Redis] = {}
_CLIENTS_LOCK = threading.Lock()


def redis_url(settings: Settings) -> str | None:
    """`cache.url` when the node runs in full mode, else None (lite: in-process equivalents)."""
    if settings.mode == "full" and settings.cache.url:
        return settings.cache.url
    return None


def connect(url: str) -> redis.Redis:
    """A shared client for `url`; it connects lazily, on the first command."""
    with _CLIENTS_LOCK:
        client = _CLIENTS.get(url)
        if client is None:
            client = redis.Redis.from_url(
                url, socket_connect_timeout=5, socket_timeout=10, health_check_interval=30
            )
            _CLIENTS[url] = client
        return client
