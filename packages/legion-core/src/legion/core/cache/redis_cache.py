"""The full-mode cache: Redis strings holding JSON, under a prefix per cluster and namespace.

Integers are stored as their JSON text, which is also what INCRBY reads and writes, so `incr`
is Redis's own atomic increment.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import redis

from legion.core.cache.base import Cache, check_key, check_ttl, decode, encode


class RedisCache(Cache):
    """Every key is stored as `<prefix>:<key>`; caches with distinct prefixes never collide."""

    def __init__(self, client: redis.Redis, prefix: str) -> None:
        if not prefix:
            raise ValueError("a Redis cache needs a key prefix")
        self.client = client
        self.prefix = prefix

    def key(self, key: str) -> str:
        return f"{self.prefix}:{check_key(key)}"

    def get(self, key: str, default: Any = None) -> Any:
        raw = self.client.get(self.key(key))
        return default if raw is None else decode(raw)

    def set(self, key: str, value: Any, ttl: float | None = None) -> None:
        check_ttl(ttl)
        px = None if ttl is None else max(1, round(ttl * 1000))
        self.client.set(self.key(key), encode(value), px=px)

    def delete(self, key: str) -> bool:
        return bool(self.client.delete(self.key(key)))

    def incr(self, key: str, amount: int = 1) -> int:
        try:
            return int(self.client.incrby(self.key(key), amount))
        except redis.ResponseError as exc:  # the value is not an integer's text
            raise ValueError(f"cache key {key!r} does not hold an integer") from exc

    def get_many(self, keys: Iterable[str]) -> dict[str, Any]:
        names = list(keys)
        if not names:
            return {}
        values = self.client.mget([self.key(k) for k in names])
        return {k: decode(v) for k, v in zip(names, values, strict=True) if v is not None}
