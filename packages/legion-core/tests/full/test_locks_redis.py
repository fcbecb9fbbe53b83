import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable

import pytest
import redis

from legion.core.locks import Lock, LockInfo
from legion.core.locks_redis import RedisLock


def wait_until(condition: Callable[[], bool], timeout: float = 30.0) -> bool:
    tick = threading.Event()
    for _ in range(int(timeout / 0.02)):
        if condition():
            return True
        tick.wait(0.02)
    return condition()


def test_one_holder_at_a_time(redis_client: redis.Redis, prefix: str) -> None:
    a, b = RedisLock(redis_client, prefix, "a"), RedisLock(redis_client, prefix, "b")
    assert isinstance(a, Lock)
    assert a.acquire("leader", ttl=30)
    assert not b.acquire("leader", ttl=30)
    info = b.holder("leader")
    assert info is not None and info.holder == "a"
    assert info.node == socket.gethostname() and info.pid == os.getpid()
    assert info.expires_at is not None and info.expires_at > info.acquired_at
    assert a.held() == ["leader"] and b.held() == []
    assert not b.release("leader") and not b.extend("leader", ttl=30)
    assert a.release("leader")
    assert not a.release("leader")
    assert a.holder("leader") is None
    assert b.acquire("leader")
    info = a.holder("leader")
    assert info is not None and info.holder == "b" and info.expires_at is None
    b.release_all()
    assert b.held() == [] and b.holder("leader") is None


def test_acquiring_again_extends_and_keeps_the_start(
    redis_client: redis.Redis, prefix: str
) -> None:
    lock = RedisLock(redis_client, prefix, "a")
    assert lock.acquire("x", ttl=30)
    first = lock.holder("x")
    assert lock.acquire("x", ttl=600)
    again = lock.holder("x")
    assert first is not None and again is not None
    assert again.acquired_at == first.acquired_at
    assert first.expires_at is not None and again.expires_at is not None
    assert again.expires_at - again.acquired_at > 300 > first.expires_at - first.acquired_at
    assert lock.extend("x", ttl=None)
    persisted = lock.holder("x")
    assert persisted is not None and persisted.expires_at is None
    assert lock.release("x")
    assert not lock.extend("x", ttl=90)


def test_a_holder_whose_lock_was_taken_over_cannot_touch_the_new_holders_lock(
    redis_client: redis.Redis, prefix: str
) -> None:
    old, new = RedisLock(redis_client, prefix, "old"), RedisLock(redis_client, prefix, "new")
    assert old.acquire("x", ttl=30)
    redis_client.delete(old.key("x"))  # what expiry does, without waiting for it
    assert new.acquire("x", ttl=30)
    assert not old.extend("x", ttl=30)
    assert not old.release("x")
    assert old.held() == []
    assert not old.acquire("x", ttl=30)  # its stale token does not count as holding
    info = new.holder("x")
    assert info is not None and info.holder == "new"
    assert new.held() == ["x"]
    assert new.release("x")


def test_two_objects_with_the_same_holder_id_are_distinct_holders(
    redis_client: redis.Redis, prefix: str
) -> None:
    one, two = RedisLock(redis_client, prefix, "same"), RedisLock(redis_client, prefix, "same")
    assert one.acquire("x", ttl=30)
    assert not two.acquire("x", ttl=30)
    assert not two.release("x")
    assert one.held() == ["x"]
    assert one.release("x")


def test_an_expired_lock_is_taken_over(redis_client: redis.Redis, prefix: str) -> None:
    a, b = RedisLock(redis_client, prefix, "a"), RedisLock(redis_client, prefix, "b")
    assert a.acquire("x", ttl=0.05)
    assert wait_until(lambda: a.holder("x") is None)
    assert not a.extend("x")
    assert b.acquire("x", ttl=30)
    assert not a.release("x")
    info = a.holder("x")
    assert info is not None and info.holder == "b"


def test_bad_names_and_ttls_are_rejected(redis_client: redis.Redis, prefix: str) -> None:
    lock = RedisLock(redis_client, prefix)
    with pytest.raises(ValueError, match="ttl"):
        lock.acquire("x", ttl=0)
    with pytest.raises(ValueError, match="ttl"):
        lock.extend("x", ttl=-1)
    with pytest.raises(ValueError, match="name"):
        lock.acquire("")


def test_a_foreign_value_reads_as_an_unknown_holder(redis_client: redis.Redis, prefix: str) -> None:
    lock = RedisLock(redis_client, prefix, "a")
    redis_client.set(lock.key("x"), "not a lock value")
    assert lock.holder("x") == LockInfo("x", "unknown", 0.0, None)
    assert not lock.acquire("x")


def test_prefixes_are_separate_clusters(redis_client: redis.Redis, prefix: str) -> None:
    one = RedisLock(redis_client, f"{prefix}:one", "a")
    two = RedisLock(redis_client, f"{prefix}:two", "b")
    assert one.acquire("same", ttl=30) and two.acquire("same", ttl=30)


HOLD = """
import sys
import redis
from legion.core.locks_redis import RedisLock
lock = RedisLock(redis.Redis.from_url(sys.argv[1]), sys.argv[2], "child")
print("held" if lock.acquire("leader", ttl=float(sys.argv[3])) else "refused", flush=True)
sys.stdin.readline()
"""


def test_a_killed_holder_is_taken_over_by_another_process_after_the_ttl(
    redis_url: str, redis_client: redis.Redis, prefix: str
) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", HOLD, redis_url, prefix, "3"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "held"
        mine = RedisLock(redis_client, prefix, "parent")
        info = mine.holder("leader")
        assert info is not None and info.holder == "child" and info.pid == child.pid
        assert info.node == socket.gethostname()
        child.send_signal(signal.SIGKILL)  # no release, no cleanup: the key just stops renewing
        child.wait(timeout=30)
        assert child.returncode == -signal.SIGKILL
        assert not mine.acquire("leader", ttl=30)  # the dead holder's TTL still runs
    finally:
        child.kill()
        child.wait(timeout=30)
    assert wait_until(lambda: mine.acquire("leader", ttl=30))
    info = mine.holder("leader")
    assert info is not None and info.holder == "parent" and info.pid == os.getpid()
    assert mine.release("leader")


def test_a_process_holding_the_lock_refuses_another_process(
    redis_url: str, redis_client: redis.Redis, prefix: str
) -> None:
    mine = RedisLock(redis_client, prefix, "parent")
    assert mine.acquire("leader", ttl=60)
    try:
        out = subprocess.run(
            [sys.executable, "-c", HOLD, redis_url, prefix, "30"],
            input="\n",
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        assert out.stdout.strip() == "refused"
    finally:
        assert mine.release("leader")
