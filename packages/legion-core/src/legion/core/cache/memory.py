"""The lite cache: a bounded in-process LRU map with per-key expiry, safe across threads."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

from legion.core.cache.base import Cache, check_key, check_ttl, decode, encode


class MemoryCache(Cache):
    """At most `max_entries` keys; setting one more evicts the least recently used.

    Expired entries are dropped when touched or evicted; `clock` (monotonic seconds) is
    injectable so that tests can move time without sleeping."""

    def __init__(
        self, max_entries: int = 10_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if max_entries < 1:
            raise ValueError(f"max_entries must be >= 1, got {max_entries}")
        self.max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[str, tuple[str, float | None]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            now = self._clock()
            return sum(1 for _, exp in self._entries.values() if exp is None or exp > now)

    def get(self, key: str, default: Any = None) -> Any:
        check_key(key)
        with self._lock:
            raw = self._live(key, self._clock())
        return default if raw is None else decode(raw)

    def set(self, key: str, value: Any, ttl: float | None = None) -> None:
        check_key(key)
        check_ttl(ttl)
        raw = encode(value)
        with self._lock:
            self._put(key, raw, None if ttl is None else self._clock() + ttl)

    def delete(self, key: str) -> bool:
        check_key(key)
        with self._lock:
            found = self._live(key, self._clock()) is not None
            self._entries.pop(key, None)
            return found

    def incr(self, key: str, amount: int = 1) -> int:
        check_key(key)
        with self._lock:
            now = self._clock()
            raw = self._live(key, now)
            current = 0 if raw is None else decode(raw)
            if not isinstance(current, int) or isinstance(current, bool):
                raise ValueError(f"cache key {key!r} does not hold an integer")
            expires_at = None if raw is None else self._entries[key][1]
            total = current + amount
            self._put(key, encode(total), expires_at)
            return total

    def get_many(self, keys: Iterable[str]) -> dict[str, Any]:
        found: dict[str, str] = {}
        with self._lock:
            now = self._clock()
            for key in keys:
                raw = self._live(check_key(key), now)
                if raw is not None:
                    found[key] = raw
        return {key: decode(raw) for key, raw in found.items()}

    def close(self) -> None:
        with self._lock:
            self._entries.clear()

    # -- under self._lock ---------------------------------------------------------------------
    def _live(self, key: str, now: float) -> str | None:
        """The raw value if present and not expired (marking it recently used), else None."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        raw, expires_at = entry
        if expires_at is not None and expires_at <= now:
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return raw

    def _put(self, key: str, raw: str, expires_at: float | None) -> None:
        self._entries[key] = (raw, expires_at)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
