from pathlib import Path

import pytest

from legion.core.ratelimit import (
    Decision,
    MemoryRateLimiter,
    RateLimiter,
    RedisRateLimiter,
    open_rate_limiter,
)
from legion.core.settings import load_settings


class Clock:
    def __init__(self) -> None:
        self.now = 5000.0

    def __call__(self) -> float:
        return self.now


def test_keys_are_limited_separately() -> None:
    limiter = MemoryRateLimiter(clock=Clock())
    assert [limiter.hit("a", 2, 60).allowed for _ in range(3)] == [True, True, False]
    assert limiter.hit("b", 2, 60) == Decision(True, 1, 60.0, 0.0)


def test_a_lowered_limit_waits_for_enough_hits_to_age_out() -> None:
    clock = Clock()
    limiter = MemoryRateLimiter(clock=clock)
    for _ in range(4):
        assert limiter.hit("k", 4, 10).allowed
        clock.now += 1
    # Hits at 0, 1, 2, 3; now 4. With limit 2, the hits at 0, 1 and 2 must age out first.
    assert limiter.hit("k", 2, 10) == Decision(False, 0, 9.0, 8.0)
    clock.now = 5000.0 + 12  # hit 2 aged out; 3 is left
    assert limiter.hit("k", 2, 10) == Decision(True, 0, 10.0, 0.0)


def test_idle_keys_are_swept() -> None:
    clock = Clock()
    limiter = MemoryRateLimiter(clock=clock)
    for n in range(1000):
        limiter.hit(f"ip:{n}", 5, 1)
    assert len(limiter) == 1000
    clock.now += 2
    for _ in range(100):
        limiter.hit("busy", 1000, 1)
    assert len(limiter) < 1000
    assert limiter.hit("busy", 1000, 1).remaining == 1000 - 101


@pytest.mark.parametrize(
    ("key", "limit", "window"),
    [("", 1, 1), ("k", 0, 1), ("k", True, 1), ("k", 1.5, 1), ("k", 1, 0), ("k", 1, -1)],
)
def test_bad_arguments_are_rejected(key: str, limit: int, window: float) -> None:
    with pytest.raises(ValueError):
        MemoryRateLimiter().hit(key, limit, window)


def test_open_rate_limiter_picks_memory_in_lite_and_redis_in_full(tmp_path: Path) -> None:
    env = {"LEGION_HOME": str(tmp_path), "LEGION_SETTINGS_DIRS": "/nonexistent"}
    lite = load_settings(env=env)
    limiter = open_rate_limiter(lite)
    assert isinstance(limiter, MemoryRateLimiter) and open_rate_limiter(lite) is limiter
    full = load_settings(
        env={**env, "LEGION_MODE": "full", "LEGION_CACHE__URL": "redis://127.0.0.1:1/0"}
    )
    remote = open_rate_limiter(full)
    assert isinstance(remote, RedisRateLimiter) and isinstance(remote, RateLimiter)
    assert remote.key("ip:1") == "legion:ratelimit:ip:1"
