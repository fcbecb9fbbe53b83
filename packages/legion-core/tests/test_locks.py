import subprocess
import sys
import time
from pathlib import Path

import pytest

from legion.core.locks import LocalLock, Lock, lock_file_name, open_lock
from legion.core.settings import load_settings


@pytest.fixture
def locks(tmp_path: Path) -> Path:
    return tmp_path / "locks"


def test_one_holder_at_a_time_in_a_process(locks: Path) -> None:
    a, b = LocalLock(locks, "a"), LocalLock(locks, "b")
    assert a.acquire("leader", ttl=30)
    assert not b.acquire("leader", ttl=30)
    info = b.holder("leader")
    assert info is not None and info.holder == "a" and info.expires_at is not None
    assert a.held() == ["leader"] and b.held() == []
    assert not b.release("leader")
    assert a.release("leader")
    assert a.holder("leader") is None
    assert b.acquire("leader")
    assert b.holder("leader") is not None
    b.release_all()
    assert b.held() == []


def test_acquiring_again_extends_and_keeps_the_start(locks: Path) -> None:
    lock = LocalLock(locks, "a")
    assert lock.acquire("x", ttl=30)
    first = lock.holder("x")
    assert lock.acquire("x", ttl=60)
    again = lock.holder("x")
    assert first is not None and again is not None
    assert again.acquired_at == first.acquired_at
    assert again.expires_at is not None and first.expires_at is not None
    assert again.expires_at > first.expires_at
    assert lock.extend("x", ttl=90)
    lock.release("x")
    assert not lock.extend("x", ttl=90)


def test_an_expired_lock_is_taken_over_in_the_process(locks: Path) -> None:
    a, b = LocalLock(locks, "a"), LocalLock(locks, "b")
    assert a.acquire("x", ttl=0.01)
    time.sleep(0.05)
    assert a.holder("x") is None
    assert not a.extend("x")
    assert b.acquire("x", ttl=30)
    assert not a.acquire("x")
    assert not a.release("x")
    info = a.holder("x")
    assert info is not None and info.holder == "b"
    assert b.release("x")


def test_memory_only_locks_and_distinct_homes(tmp_path: Path) -> None:
    a, b = LocalLock(None, "a"), LocalLock(None, "b")
    assert a.acquire("m") and not b.acquire("m")
    a.release("m")
    # Two homes are two separate clusters: the same name does not collide.
    one, two = LocalLock(tmp_path / "one"), LocalLock(tmp_path / "two")
    assert one.acquire("same") and two.acquire("same")
    one.release("same")
    two.release("same")


def test_bad_names_and_ttls_are_rejected(locks: Path) -> None:
    lock = LocalLock(locks)
    with pytest.raises(ValueError, match="ttl"):
        lock.acquire("x", ttl=0)
    with pytest.raises(ValueError, match="name"):
        lock.acquire("")


def test_lock_file_names_are_safe_and_distinct() -> None:
    a, b = lock_file_name("actor:a/b"), lock_file_name("actor:a:b")
    assert a != b
    assert "/" not in a and ":" not in a and a.endswith(".lock")


def test_open_lock_uses_the_home(tmp_path: Path) -> None:
    settings = load_settings(
        env={"LEGION_HOME": str(tmp_path), "LEGION_SETTINGS_DIRS": "/nonexistent"}
    )
    lock = open_lock(settings, "me")
    assert isinstance(lock, Lock) and isinstance(lock, LocalLock)
    assert lock.acquire("x")
    assert list((tmp_path / "locks").glob("x-*.lock"))
    lock.release("x")


HOLD = """
import sys
from pathlib import Path
from legion.core.locks import LocalLock
lock = LocalLock(Path(sys.argv[1]), "other-process")
print("held" if lock.acquire("leader", ttl=30) else "refused", flush=True)
sys.stdin.readline()
"""


def test_a_second_process_on_the_same_home_is_refused_until_the_holder_exits(
    locks: Path,
) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(locks)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "held"
        mine = LocalLock(locks, "this-process")
        assert not mine.acquire("leader", ttl=30)
        info = mine.holder("leader")
        assert info is not None and info.holder == "other-process"
    finally:
        child.kill()  # no release: the kernel drops the lock with the process
        child.wait(timeout=30)
    assert mine.acquire("leader", ttl=30)
    assert mine.holder("leader") is not None
    mine.release("leader")


def test_a_process_holding_the_lock_refuses_another_process(locks: Path) -> None:
    mine = LocalLock(locks, "this-process")
    assert mine.acquire("leader")
    try:
        out = subprocess.run(
            [sys.executable, "-c", HOLD, str(locks)],
            input="\n",
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        assert out.stdout.strip() == "refused"
    finally:
        mine.release("leader")
