"""The cache interface: JSON values under string keys, with optional expiry.

Values go through JSON on the way in, so every backend returns the same thing (tuples come back
as lists, a caller mutating its object afterwards does not change the cached copy).
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import Any


class Cache(ABC):
    """get/set/delete/incr/get_many on JSON values; `ttl` is in seconds, None: no expiry."""

    @abstractmethod
    def get(self, key: str, default: Any = None) -> Any:
        """The value under `key`, or `default` when it is missing or expired."""

    @abstractmethod
    def set(self, key: str, value: Any, ttl: float | None = None) -> None:
        """Store `value` (anything `json.dumps` takes) under `key`, replacing it and its expiry."""

    @abstractmethod
    def delete(self, key: str) -> bool:
        """Remove `key`; True if it was there."""

    @abstractmethod
    def incr(self, key: str, amount: int = 1) -> int:
        """Add `amount` to the integer under `key` (missing: 0) atomically; keeps its expiry.

        Raises ValueError when the stored value is not an integer."""

    @abstractmethod
    def get_many(self, keys: Iterable[str]) -> dict[str, Any]:
        """The keys that are present, with their values; missing keys are left out."""

    def close(self) -> None:  # noqa: B027 - most backends have nothing to close
        """Let go of connections or memory; the cache is not used afterwards."""


def encode(value: Any) -> str:
    """Compact JSON; NaN and infinities are refused, as no other JSON reader takes them."""
    return json.dumps(value, separators=(",", ":"), allow_nan=False)


def decode(raw: str | bytes) -> Any:
    return json.loads(raw)


def check_key(key: str) -> str:
    if not isinstance(key, str) or not key:
        raise ValueError("a cache key must be a non-empty string")
    return key


def check_ttl(ttl: float | None) -> float | None:
    if ttl is not None and ttl <= 0:
        raise ValueError(f"a cache ttl must be > 0 seconds, got {ttl}")
    return ttl
