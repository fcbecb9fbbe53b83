"""The cache: a Redis PING at `cache.url` in full mode; lite mode keeps it in process."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from legion.app.health.report import Finding
from legion.app.health.runner import elapsed_ms

if TYPE_CHECKING:
    from legion.core.settings import Settings


def check(settings: Settings, timeout: float) -> Finding:
    url = settings.cache.url
    if settings.mode != "full":
        reason = "lite mode: in-process cache"
        if url:
            reason += " (cache.url is used in full mode only)"
        return Finding("cache", "skip", reason)
    if not url:
        return Finding("cache", "skip", "cache.url is unset: in-process cache")
    return ping(url, timeout)


def ping(url: str, timeout: float) -> Finding:
    """PING with its own short-lived client, bounded by `timeout` for connect and answer."""
    import redis

    from legion.core.settings.redact import redact_url

    shown = redact_url(url)
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
    except ValueError as exc:
        return Finding(
            "cache", "fail", f"cache.url is not a Redis URL ({exc})", fix="fix cache.url"
        )
    try:
        started = time.monotonic()
        client.ping()
        latency = elapsed_ms(started)
    except redis.AuthenticationError as exc:
        return Finding(
            "cache",
            "fail",
            f"Redis at {shown} refused the login ({exc})",
            fix="check the user and password in cache.url",
            details={"url": shown},
        )
    except redis.RedisError as exc:
        return Finding(
            "cache",
            "fail",
            f"Redis at {shown}: {exc}",
            fix="check cache.url and that Redis runs and is reachable",
            details={"url": shown},
        )
    finally:
        client.close()
    return Finding(
        "cache", "pass", f"Redis at {shown}: PING ok", latency_ms=latency, details={"url": shown}
    )
