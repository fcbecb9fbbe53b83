import threading
from pathlib import Path

import pytest

from legion.core.cache import Cache, MemoryCache, RedisCache, open_cache
from legion.core.settings import load_settings


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_values_round_trip_as_json_copies() -> None:
    cache = MemoryCache()
    items = [1, 2]
    cache.set("k", {"a": items, "b": None, "t": (1, "x")})
    items.append(3)
    assert cache.get("k") == {"a": [1, 2], "b": None, "t": [1, "x"]}
    assert cache.get("missing") is None and cache.get("missing", 7) == 7
    cache.set("null", None)
    assert cache.get("null", "default") is None
    assert cache.get_many(["k", "null", "missing"]) == {
        "k": {"a": [1, 2], "b": None, "t": [1, "x"]},
        "null": None,
    }
    with pytest.raises(TypeError):
        cache.set("bad", object())
    with pytest.raises(ValueError):
        cache.set("nan", float("nan"))
    with pytest.raises(ValueError, match="key"):
        cache.get("")


def test_entries_expire_after_their_ttl() -> None:
    clock = Clock()
    cache = MemoryCache(clock=clock)
    cache.set("short", 1, ttl=5)
    cache.set("forever", 2)
    clock.now += 4.999
    assert cache.get_many(["short", "forever"]) == {"short": 1, "forever": 2}
    clock.now += 0.001
    assert cache.get("short") is None
    assert not cache.delete("short")
    assert cache.get("forever") == 2
    assert len(cache) == 1
    cache.set("forever", 3, ttl=1)  # set replaces the expiry too
    clock.now += 1
    assert cache.get("forever") is None
    with pytest.raises(ValueError, match="ttl"):
        cache.set("x", 1, ttl=0)


def test_least_recently_used_entries_are_evicted_first() -> None:
    cache = MemoryCache(max_entries=3)
    for n, key in enumerate(("a", "b", "c")):
        cache.set(key, n)
    assert cache.get("a") == 0  # a is now the most recently used
    cache.set("d", 3)
    assert cache.get_many(["a", "b", "c", "d"]) == {"a": 0, "c": 2, "d": 3}
    # The read above used a, c, d in that order; incr on c leaves a the least recently used.
    assert cache.incr("c") == 3
    cache.set("e", 4)
    assert cache.get_many(["a", "b", "c", "d", "e"]) == {"c": 3, "d": 3, "e": 4}
    assert len(cache) == 3
    with pytest.raises(ValueError, match="max_entries"):
        MemoryCache(max_entries=0)


def test_incr_counts_from_zero_and_keeps_the_expiry() -> None:
    clock = Clock()
    cache = MemoryCache(clock=clock)
    assert cache.incr("n") == 1
    assert cache.incr("n", 41) == 42
    assert cache.incr("n", -2) == 40
    cache.set("t", 10, ttl=10)
    clock.now += 5
    assert cache.incr("t") == 11
    clock.now += 5
    assert cache.get("t") is None
    assert cache.incr("t") == 1
    cache.set("f", 1.5)
    cache.set("b", True)
    for key in ("f", "b"):
        with pytest.raises(ValueError, match="integer"):
            cache.incr(key)
    assert cache.delete("n") and not cache.delete("n")


def test_concurrent_increments_are_not_lost() -> None:
    cache = MemoryCache()
    start = threading.Barrier(8)

    def work() -> None:
        start.wait()
        for _ in range(2000):
            cache.incr("hits")

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert cache.get("hits") == 16000


def test_open_cache_is_shared_in_lite_mode_and_redis_in_full_mode(tmp_path: Path) -> None:
    env = {"LEGION_HOME": str(tmp_path), "LEGION_SETTINGS_DIRS": "/nonexistent"}
    lite = load_settings(env={**env, "LEGION_CACHE__URL": "redis://127.0.0.1:1/0"})
    cache = open_cache(lite, "sessions")
    assert isinstance(cache, MemoryCache)
    assert open_cache(lite, "sessions") is cache
    assert open_cache(lite, "other") is not cache
    full_no_url = load_settings(env={**env, "LEGION_MODE": "full"})
    assert isinstance(open_cache(full_no_url), MemoryCache)
    full = load_settings(
        env={
            **env,
            "LEGION_MODE": "full",
            "LEGION_CACHE__URL": "redis://127.0.0.1:1/0",
            "LEGION_CACHE__PREFIX": "cluster-a",
        }
    )
    remote = open_cache(full, "sessions")
    assert isinstance(remote, RedisCache) and isinstance(remote, Cache)
    assert remote.key("k") == "cluster-a:sessions:k"
    with pytest.raises(ValueError, match="namespace"):
        open_cache(full, "")
