"""A key/value cache with expiry: `MemoryCache` in lite mode, `RedisCache` in full mode.

`open_cache(settings, namespace)` picks one; all share the `Cache` interface and JSON values.
"""

from legion.core.cache.base import Cache
from legion.core.cache.factory import open_cache
from legion.core.cache.memory import MemoryCache
from legion.core.cache.redis_cache import RedisCache

__all__ = ["Cache", "MemoryCache", "RedisCache", "open_cache"]
