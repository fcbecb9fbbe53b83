"""Sliding-window limits per client IP, per principal and per tenant; the strictest one wins.

Backed by legion-core's rate limiter (memory in lite mode, Redis with `cache.url`), so the
limits hold across every process of a cluster sharing the Redis.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from legion.app.security.principals import Principal
from legion.core.ratelimit import Decision, RateLimiter
from legion.core.settings.model import ApiRateLimitSettings


@dataclass(frozen=True)
class Verdict:
    """The combined answer: the decision with the least room left, and the limit it is under."""

    allowed: bool
    limit: int
    remaining: int
    reset_after: float
    retry_after: float

    def headers(self) -> list[tuple[bytes, bytes]]:
        out = [
            (b"x-ratelimit-limit", str(self.limit).encode()),
            (b"x-ratelimit-remaining", str(self.remaining).encode()),
            (b"x-ratelimit-reset", str(math.ceil(self.reset_after)).encode()),
        ]
        if not self.allowed:
            out.append((b"retry-after", str(max(1, math.ceil(self.retry_after))).encode()))
        return out


def _verdict(decisions: list[tuple[int, Decision]]) -> Verdict:
    refused = [(limit, d) for limit, d in decisions if not d.allowed]
    if refused:
        limit, d = max(refused, key=lambda item: item[1].retry_after)
    else:
        limit, d = min(
            decisions, key=lambda item: (item[1].remaining, -item[1].reset_after_seconds)
        )
    return Verdict(d.allowed, limit, d.remaining, d.reset_after_seconds, d.retry_after)


class RateLimits:
    """Hits the IP key before authentication, principal and tenant keys after it."""

    def __init__(self, limiter: RateLimiter, settings: ApiRateLimitSettings) -> None:
        self.limiter = limiter
        self.settings = settings

    @property
    def enabled(self) -> bool:
        return self.settings.enabled

    def hit_ip(self, ip: str) -> Verdict:
        s = self.settings
        d = self.limiter.hit(f"api:ip:{ip}", s.per_ip, s.window_seconds)
        return Verdict(d.allowed, s.per_ip, d.remaining, d.reset_after_seconds, d.retry_after)

    def hit_principal(self, principal: Principal, ip_verdict: Verdict) -> Verdict:
        s = self.settings
        window = s.window_seconds
        found = [
            (ip_verdict.limit, _as_decision(ip_verdict)),
            (
                s.per_principal,
                self.limiter.hit(f"api:principal:{principal.id}", s.per_principal, window),
            ),
        ]
        if principal.tenant:
            key = f"api:tenant:{principal.tenant}"
            found.append((s.per_tenant, self.limiter.hit(key, s.per_tenant, window)))
        return _verdict(found)


def _as_decision(v: Verdict) -> Decision:
    return Decision(v.allowed, v.remaining, v.reset_after, v.retry_after)
