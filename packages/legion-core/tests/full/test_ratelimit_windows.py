"""The sliding window, identical in memory and in Redis, and shared across processes in Redis."""

import subprocess
import sys
from collections.abc import Callable

import pytest
import redis

from legion.core.ratelimit import Decision, MemoryRateLimiter, RateLimiter, RedisRateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


LimiterFactory = Callable[[Clock], RateLimiter]


@pytest.fixture(params=["memory", "redis"])
def make_limiter(request: pytest.FixtureRequest) -> LimiterFactory:
    if request.param == "memory":
        return lambda clock: MemoryRateLimiter(clock=clock)
    client: redis.Redis = request.getfixturevalue("redis_client")
    prefix: str = request.getfixturevalue("prefix")
    return lambda clock: RedisRateLimiter(client, prefix, clock=clock)


def test_hits_age_out_one_by_one_not_in_buckets(make_limiter: LimiterFactory) -> None:
    clock = Clock()
    limiter = make_limiter(clock)
    start = clock.now
    # Four hits in the first half of a 10 s window, four in the second half.
    for n in range(4):
        clock.now = start + n
        assert limiter.hit("k", 8, 10) == Decision(True, 7 - n, 10.0, 0.0)
    for n in range(4):
        clock.now = start + 5 + n
        assert limiter.hit("k", 8, 10).allowed
    clock.now = start + 9.5
    assert limiter.hit("k", 8, 10) == Decision(False, 0, 8.5, 0.5)
    # Half a window after the second half began, only the older half has aged out: 4 slots.
    clock.now = start + 13.5
    assert [limiter.hit("k", 8, 10).remaining for _ in range(4)] == [3, 2, 1, 0]
    # A fixed 10 s bucket starting at 10 would still allow 4 more; the window refuses until the
    # hit at 5 ages out.
    assert limiter.hit("k", 8, 10) == Decision(False, 0, 10.0, 1.5)
    clock.now = start + 15
    assert limiter.hit("k", 8, 10) == Decision(True, 0, 10.0, 0.0)
    clock.now = start + 15.5
    assert limiter.hit("k", 8, 10) == Decision(False, 0, 9.5, 0.5)
    # Once everything aged out the full limit is back.
    clock.now = start + 40
    assert limiter.hit("k", 8, 10) == Decision(True, 7, 10.0, 0.0)


def test_boundaries_refusals_and_keys_match(make_limiter: LimiterFactory) -> None:
    clock = Clock()
    limiter = make_limiter(clock)
    start = clock.now
    assert limiter.hit("a", 1, 2.5).allowed
    clock.now = start + 2.499999
    refused = limiter.hit("a", 1, 2.5)
    assert not refused.allowed and refused.remaining == 0
    assert refused.retry_after == pytest.approx(0.000001)
    clock.now = start + 2.5  # a hit exactly one window old has aged out
    assert limiter.hit("a", 1, 2.5) == Decision(True, 0, 2.5, 0.0)
    assert limiter.hit("b", 3, 2.5) == Decision(True, 2, 2.5, 0.0)  # separate key
    # Refused hits are not counted: knocking does not push the reopening back.
    for _ in range(5):
        assert limiter.hit("a", 1, 2.5).retry_after == pytest.approx(2.5)
    clock.now = start + 5
    assert limiter.hit("a", 1, 2.5).allowed
    with pytest.raises(ValueError):
        limiter.hit("a", 0, 1)


HIT = """
import sys
import redis
from legion.core.ratelimit import RedisRateLimiter
limiter = RedisRateLimiter(redis.Redis.from_url(sys.argv[1]), sys.argv[2])
sys.stdin.readline()  # start together
print(sum(limiter.hit("tenant:t1", 25, 3600).allowed for _ in range(20)), flush=True)
"""


def test_processes_share_the_limit(redis_url: str, redis_client: redis.Redis, prefix: str) -> None:
    children = [
        subprocess.Popen(
            [sys.executable, "-c", HIT, redis_url, prefix],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        for child in children:
            assert child.stdin is not None
            child.stdin.write("go\n")
            child.stdin.flush()
        allowed = [int(child.communicate(timeout=60)[0]) for child in children]
    finally:
        for child in children:
            child.kill()
            child.wait(timeout=30)
    assert all(child.returncode == 0 for child in children)
    assert sum(allowed) == 25 and all(n >= 5 for n in allowed)
    decision = RedisRateLimiter(redis_client, prefix).hit("tenant:t1", 25, 3600)
    assert not decision.allowed and decision.remaining == 0
    assert 0 < decision.retry_after <= 3600
    assert redis_client.zcard(f"{prefix}:ratelimit:tenant:t1") == 25
    assert 0 < redis_client.pttl(f"{prefix}:ratelimit:tenant:t1") <= 3_600_001
