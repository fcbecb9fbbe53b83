"""Which rate limiter a node uses: Redis in full mode with `cache.url`, else one in memory.

The memory limiter is shared per home, so every component in one process counts the same hits.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from legion.core.cache.connection import connect, redis_url
from legion.core.ratelimit.base import RateLimiter
from legion.core.ratelimit.memory import MemoryRateLimiter
from legion.core.ratelimit.redis_window import RedisRateLimiter

if TYPE_CHECKING:
    from legion.core.settings.model import Settings

_MEMORY: dict[str, MemoryRateLimiter] = {}
_MEMORY_LOCK = threading.Lock()


def open_rate_limiter(settings: Settings) -> RateLimiter:
    """The node's rate limiter; callers namespace their keys (`api:ip:...`, `llm:key:...`)."""
    url = redis_url(settings)
    if url is not None:
        return RedisRateLimiter(connect(url), settings.cache.prefix)
    with _MEMORY_LOCK:
        limiter = _MEMORY.get(str(settings.home))
        if limiter is None:
            limiter = _MEMORY[str(settings.home)] = MemoryRateLimiter()
        return limiter
