"""The full-mode rate limiter: one sorted set of hit times per key, shared by every process.

One Lua script drops the hits that aged out, counts the rest and adds this hit only if there is
room, all atomically, so concurrent hits from many nodes never overshoot the limit. Times come
from the Redis server's clock, so nodes with skewed clocks still agree.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

import redis

from legion.core.ratelimit.base import MICROS, Decision, RateLimiter, check_hit, decide

# KEYS[1] the key's sorted set. ARGV: limit, window µs, now µs (or -1: the server's clock),
# a unique member for this hit. Returns allowed (0/1), count, now, newest, freeing (µs).
_HIT = """
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
if now < 0 then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
local allowed = 0
if count < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[4])
  count = count + 1
  allowed = 1
end
local newest = now
local freeing = now
if count > 0 then
  newest = tonumber(redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')[2])
  if count >= limit then
    freeing = tonumber(redis.call('ZRANGE', KEYS[1], count - limit, count - limit,
                                  'WITHSCORES')[2])
  end
end
redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000) + 1)
return {allowed, count, now, newest, freeing}
"""


class RedisRateLimiter(RateLimiter):
    """Sliding windows in Redis under `<prefix>:ratelimit:<key>`.

    `clock` (seconds) replaces the server's clock, for tests that must control time."""

    def __init__(
        self,
        client: redis.Redis,
        prefix: str = "legion",
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.client = client
        self.prefix = prefix
        self._clock = clock
        self._hit = client.register_script(_HIT)

    def key(self, key: str) -> str:
        return f"{self.prefix}:ratelimit:{key}"

    def hit(self, key: str, limit: int, window_seconds: float) -> Decision:
        window = check_hit(key, limit, window_seconds)
        now = -1 if self._clock is None else round(self._clock() * MICROS)
        member = secrets.token_hex(8)
        reply = self._hit(keys=[self.key(key)], args=[limit, window, now, member])
        allowed, count, at, newest, freeing = (int(v) for v in reply)
        return decide(bool(allowed), limit, count, at, window, newest, freeing)
