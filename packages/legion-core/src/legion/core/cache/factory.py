"""Which cache a node uses: Redis in full mode with `cache.url`, else a process-wide memory cache.

The memory caches are shared per home and namespace, so every component in one process sees the
same entries, as they would through Redis.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from legion.core.cache.base import Cache
from legion.core.cache.connection import connect, redis_url
from legion.core.cache.memory import MemoryCache
from legion.core.cache.redis_cache import RedisCache

if TYPE_CHECKING:
    from legion.core.settings.model import Settings

_MEMORY: dict[tuple[str, str], MemoryCache] = {}
_MEMORY_LOCK = threading.Lock()


def open_cache(settings: Settings, namespace: str = "cache") -> Cache:
    """The node's cache for `namespace` (a component's name: keys of two namespaces never mix)."""
    if not namespace:
        raise ValueError("a cache needs a namespace")
    url = redis_url(settings)
    if url is not None:
        return RedisCache(connect(url), f"{settings.cache.prefix}:{namespace}")
    with _MEMORY_LOCK:
        key = (str(settings.home), namespace)
        cache = _MEMORY.get(key)
        if cache is None:
            cache = _MEMORY[key] = MemoryCache()
        return cache
