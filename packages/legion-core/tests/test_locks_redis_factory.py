import os
import socket
from pathlib import Path

from legion.core.locks import LocalLock, open_lock
from legion.core.locks_redis import RedisLock
from legion.core.settings import Settings, load_settings

URL = "redis://127.0.0.1:1/0"  # never contacted: clients connect on first use


def settings_for(home: Path, **env: str) -> Settings:
    return load_settings(
        env={"LEGION_HOME": str(home), "LEGION_SETTINGS_DIRS": "/nonexistent", **env}
    )


def test_open_lock_is_redis_only_in_full_mode_with_a_cache_url(tmp_path: Path) -> None:
    lite_with_url = settings_for(tmp_path, LEGION_CACHE__URL=URL)
    assert lite_with_url.cache.url == URL
    assert isinstance(open_lock(lite_with_url), LocalLock)
    assert isinstance(open_lock(settings_for(tmp_path, LEGION_MODE="full")), LocalLock)
    full = settings_for(
        tmp_path, LEGION_MODE="full", LEGION_CACHE__URL=URL, LEGION_CACHE__PREFIX="cluster-a"
    )
    lock = open_lock(full, "me")
    assert isinstance(lock, RedisLock) and lock.holder_id == "me"
    assert lock.key("leader") == "cluster-a:lock:leader"


def test_local_lock_info_names_the_node_and_process(tmp_path: Path) -> None:
    lock = LocalLock(tmp_path / "locks", "a")
    assert lock.acquire("x", ttl=30)
    info = lock.holder("x")
    assert info is not None and info.node == socket.gethostname() and info.pid == os.getpid()
    assert info.to_dict()["pid"] == os.getpid()
    lock.release("x")
