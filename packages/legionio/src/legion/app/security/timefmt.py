"""Epoch seconds as ISO 8601 UTC for listings; parsing `--since` (ISO time or a duration)."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime

DURATION = re.compile(r"^(\d+)([smhd])$")
UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def iso(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds")


def parse_since(value: str, *, now: float | None = None) -> float:
    """`15m`, `2h`, `7d`, or an ISO time (UTC unless it says otherwise); ValueError if neither."""
    match = DURATION.match(value.strip())
    if match:
        return (time.time() if now is None else now) - int(match.group(1)) * UNIT[match.group(2)]
    parsed = datetime.fromisoformat(value.strip())
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()
