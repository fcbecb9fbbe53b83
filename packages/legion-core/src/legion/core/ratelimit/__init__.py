"""Sliding-window rate limits per key (an IP, an API key, a tenant): `hit` says allow or refuse.

`MemoryRateLimiter` in lite mode, `RedisRateLimiter` (shared across processes) in full mode;
`open_rate_limiter(settings)` picks one.
"""

from legion.core.ratelimit.base import Decision, RateLimiter
from legion.core.ratelimit.factory import open_rate_limiter
from legion.core.ratelimit.memory import MemoryRateLimiter
from legion.core.ratelimit.redis_window import RedisRateLimiter

__all__ = ["Decision", "MemoryRateLimiter", "RateLimiter", "RedisRateLimiter", "open_rate_limiter"]
