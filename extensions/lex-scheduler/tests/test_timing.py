from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from legion.core.errors import ConfigError, UsageError
from legion.extensions.scheduler.timing import (
    MAX_COUNTED,
    advance,
    check_cron,
    cron_after,
    first_run,
    zone,
)


def at(
    year: int, month: int, day: int, hour: int, minute: int, second: int = 0, *, tz: Any = UTC
) -> float:
    return datetime(year, month, day, hour, minute, second, tzinfo=tz).timestamp()


def test_bad_cron_names_the_expression() -> None:
    with pytest.raises(UsageError, match=r"'61 \* \* \* \*'"):
        check_cron("61 * * * *")
    with pytest.raises(UsageError, match="'every minute'"):
        check_cron("every minute")
    check_cron("*/5 * * * *")
    check_cron("@hourly")


def test_cron_after_is_strictly_later_and_honours_the_time_zone() -> None:
    assert cron_after("*/5 * * * *", at(2024, 1, 1, 0, 2), UTC) == at(2024, 1, 1, 0, 5)
    assert cron_after("*/5 * * * *", at(2024, 1, 1, 0, 5), UTC) == at(2024, 1, 1, 0, 10)
    paris = ZoneInfo("Europe/Paris")
    assert cron_after("0 9 * * *", at(2024, 1, 1, 0, 0), paris) == at(2024, 1, 1, 9, 0, tz=paris)


def test_first_run() -> None:
    assert first_run(None, 30.0, 1000.0, UTC) == 1030.0
    assert first_run("0 * * * *", None, at(2024, 1, 1, 0, 30), UTC) == at(2024, 1, 1, 1, 0)


def test_interval_advance_keeps_the_grid_and_counts_missed_runs() -> None:
    assert advance(None, 10.0, 100.0, 100.5, UTC) == (110.0, 0)
    assert advance(None, 10.0, 100.0, 135.0, UTC) == (140.0, 3)
    assert advance(None, 10.0, 100.0, 140.0, UTC) == (150.0, 4)


def test_cron_advance_counts_missed_runs() -> None:
    due = at(2024, 1, 1, 0, 0)
    assert advance("0 * * * *", None, due, at(2024, 1, 1, 0, 0, 1), UTC) == (
        at(2024, 1, 1, 1, 0),
        0,
    )
    assert advance("0 * * * *", None, due, at(2024, 1, 1, 5, 30), UTC) == (
        at(2024, 1, 1, 6, 0),
        5,
    )


def test_cron_advance_stops_counting_after_a_long_outage() -> None:
    due = at(2020, 1, 1, 0, 0)
    now = at(2024, 1, 1, 0, 0, 30)
    following, missed = advance("* * * * *", None, due, now, UTC)
    assert missed == MAX_COUNTED
    assert following == at(2024, 1, 1, 0, 1)


def test_zone() -> None:
    assert zone("UTC") == ZoneInfo("UTC")
    with pytest.raises(ConfigError, match="Mars/Olympus"):
        zone("Mars/Olympus")
