"""When a schedule is due next, and how many due times a late tick skipped.

Cron expressions are read by croniter (5 fields, or 6 with seconds last, or `@hourly` and the
like) in the scheduler's time zone; intervals keep their original grid, so a late run does not
shift every later one. croniter is imported on first use, so loading the extension stays cheap.
"""

from __future__ import annotations

import math
from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from legion.core.errors import ConfigError, UsageError

MAX_COUNTED = 10_000  # missed cron times counted one by one; more is reported as "at least"


def zone(name: str) -> tzinfo:
    """The scheduler's time zone from its `timezone` setting (an IANA name such as `UTC`)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"lex.scheduler.timezone {name!r} is not a known time zone",
            hint="use an IANA name such as UTC or Europe/Paris",
        ) from None


def check_cron(expression: str) -> None:
    """Raise a UsageError naming the expression if croniter cannot read it."""
    from croniter import CroniterError, croniter  # type: ignore[import-untyped]

    try:
        croniter(expression)
    except (CroniterError, ValueError, KeyError, TypeError) as exc:
        raise UsageError(
            f"cron expression {expression!r} does not parse: {exc}",
            hint="five fields: minute hour day-of-month month day-of-week, e.g. '*/5 * * * *'",
        ) from None


def cron_after(expression: str, after: float, tz: tzinfo) -> float:
    """The first time strictly after `after` (epoch seconds) that `expression` matches."""
    from croniter import croniter

    start = datetime.fromtimestamp(after, tz)
    return float(croniter(expression, start).get_next(float))


def first_run(cron: str | None, interval: float | None, now: float, tz: tzinfo) -> float:
    if cron is not None:
        return cron_after(cron, now, tz)
    assert interval is not None
    return now + interval


def advance(
    cron: str | None, interval: float | None, due: float, now: float, tz: tzinfo
) -> tuple[float, int]:
    """For a schedule due at `due` and run at `now`: its next time after `now`, and how many
    due times between the two are skipped (a late tick runs a schedule once, never in bulk)."""
    if cron is None:
        assert interval is not None and interval > 0
        missed = max(0, math.floor((now - due) / interval))
        return due + (missed + 1) * interval, missed
    from croniter import croniter

    it = croniter(cron, datetime.fromtimestamp(due, tz))
    missed = 0
    while missed < MAX_COUNTED:
        following = float(it.get_next(float))
        if following > now:
            return following, missed
        missed += 1
    return cron_after(cron, now, tz), missed
