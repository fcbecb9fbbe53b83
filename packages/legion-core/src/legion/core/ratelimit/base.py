"""Sliding-window rate limits: at most `limit` hits in any `window_seconds` long stretch of time.

A true sliding window remembers each allowed hit's time, so hits age out one by one exactly
`window_seconds` after they happened (fixed buckets would let twice the limit through around a
bucket boundary). Refused hits are not remembered: a client that keeps knocking gets back in as
soon as its oldest hit ages out.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

MICROS = 1_000_000


@dataclass(frozen=True)
class Decision:
    """The answer to one hit.

    `remaining`: hits still allowed in the window after this one. `reset_after_seconds`: until
    every remembered hit has aged out (the full limit is back). `retry_after`: until the next hit
    would be allowed; 0 when this one was."""

    allowed: bool
    remaining: int
    reset_after_seconds: float
    retry_after: float


class RateLimiter(ABC):
    """Counts hits per key; every implementation gives the same decisions for the same hits."""

    @abstractmethod
    def hit(self, key: str, limit: int, window_seconds: float) -> Decision:
        """Record a hit on `key` if fewer than `limit` happened in the last `window_seconds`."""


def check_hit(key: str, limit: int, window_seconds: float) -> int:
    """Validate the arguments of `hit`; the window in whole microseconds (at least one)."""
    if not isinstance(key, str) or not key:
        raise ValueError("a rate-limit key must be a non-empty string")
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValueError(f"a rate limit must be an integer >= 1, got {limit!r}")
    if not window_seconds > 0:
        raise ValueError(f"a rate-limit window must be > 0 seconds, got {window_seconds!r}")
    return max(1, round(window_seconds * MICROS))


def decide(
    allowed: bool, limit: int, count: int, now: int, window: int, newest: int, freeing: int
) -> Decision:
    """A Decision from the window's state after the hit, all times in microseconds.

    `count`: hits in the window; `newest`: the latest one's time; `freeing`: the time of the hit
    whose ageing out lets the next hit in (the oldest one when the window is exactly full)."""
    return Decision(
        allowed=allowed,
        remaining=max(0, limit - count),
        reset_after_seconds=max(0, newest + window - now) / MICROS if count else 0.0,
        retry_after=0.0 if allowed else max(0, freeing + window - now) / MICROS,
    )
