"""The lite rate limiter: a deque of hit times per key, in this process only."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

from legion.core.ratelimit.base import MICROS, Decision, RateLimiter, check_hit, decide

_SWEEP_EVERY = 1024  # hits between sweeps of keys whose hits have all aged out


class MemoryRateLimiter(RateLimiter):
    """Sliding windows kept in memory; `clock` (seconds) is injectable so tests control time.

    Keys whose every hit has aged out are swept now and then, so per-client keys (an IP, an API
    key) do not accumulate forever."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._hits: dict[str, tuple[int, deque[int]]] = {}  # key -> (window µs, hit times µs)
        self._lock = threading.Lock()
        self._since_sweep = 0

    def hit(self, key: str, limit: int, window_seconds: float) -> Decision:
        window = check_hit(key, limit, window_seconds)
        with self._lock:
            now = round(self._clock() * MICROS)
            self._maybe_sweep(now)
            entry = self._hits.get(key)
            if entry is None or entry[0] != window:
                hits = entry[1] if entry is not None else deque()
                self._hits[key] = (window, hits)
            else:
                hits = entry[1]
            oldest = now - window
            while hits and hits[0] <= oldest:
                hits.popleft()
            allowed = len(hits) < limit
            if allowed:
                hits.append(now)
            count = len(hits)
            newest = hits[-1] if hits else now
            freeing = hits[count - limit] if count >= limit else now
            return decide(allowed, limit, count, now, window, newest, freeing)

    def __len__(self) -> int:
        """Keys tracked right now (including some whose hits aged out but are not swept yet)."""
        with self._lock:
            return len(self._hits)

    def _maybe_sweep(self, now: int) -> None:
        self._since_sweep += 1
        if self._since_sweep < _SWEEP_EVERY:
            return
        self._since_sweep = 0
        stale = [k for k, (w, hits) in self._hits.items() if not hits or hits[-1] <= now - w]
        for key in stale:
            del self._hits[key]
