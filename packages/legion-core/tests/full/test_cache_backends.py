"""The same cache behaviour from MemoryCache and RedisCache."""

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from legion.core.cache import Cache, MemoryCache, RedisCache, open_cache
from legion.core.settings import load_settings


@pytest.fixture(params=["memory", "redis"])
def cache(request: pytest.FixtureRequest) -> Iterator[Cache]:
    if request.param == "memory":
        yield MemoryCache()
        return
    client: redis.Redis = request.getfixturevalue("redis_client")
    yield RedisCache(client, f"{request.getfixturevalue('prefix')}:cache")


def test_json_values_round_trip(cache: Cache) -> None:
    value = {"a": [1, 2.5, "x"], "b": None, "c": True, "t": (1, 2)}
    cache.set("k", value)
    assert cache.get("k") == {"a": [1, 2.5, "x"], "b": None, "c": True, "t": [1, 2]}
    cache.set("k", "replaced")
    assert cache.get("k") == "replaced"
    cache.set("null", None)
    assert cache.get("null", "default") is None
    assert cache.get("missing", "default") == "default"
    assert cache.get_many(["k", "missing", "null"]) == {"k": "replaced", "null": None}
    assert cache.get_many([]) == {}
    assert cache.delete("k") and not cache.delete("k")
    assert cache.get("k") is None
    with pytest.raises(ValueError, match="key"):
        cache.set("", 1)


def test_incr_is_shared_with_plain_values(cache: Cache) -> None:
    assert cache.incr("n") == 1
    assert cache.incr("n", 9) == 10
    assert cache.get("n") == 10
    cache.set("n", 5)
    assert cache.incr("n", -6) == -1
    cache.set("s", "text")
    with pytest.raises(ValueError, match="integer"):
        cache.incr("s")
    assert cache.get("s") == "text"


def test_ttl_is_validated(cache: Cache) -> None:
    with pytest.raises(ValueError, match="ttl"):
        cache.set("k", 1, ttl=0)
    cache.set("k", 1, ttl=3600)
    assert cache.get("k") == 1


def test_redis_entries_expire_and_incr_keeps_the_expiry(
    redis_client: redis.Redis, prefix: str
) -> None:
    cache = RedisCache(redis_client, f"{prefix}:cache")
    cache.set("t", 1, ttl=600)
    assert cache.incr("t") == 2
    assert 0 < redis_client.pttl(cache.key("t")) <= 600_000
    cache.set("gone", 1, ttl=0.05)
    tick = threading.Event()
    for _ in range(1500):
        if cache.get("gone") is None:
            break
        tick.wait(0.02)
    assert cache.get("gone") is None
    assert cache.get_many(["gone", "t"]) == {"t": 2}


def test_namespaces_and_clusters_do_not_collide(
    redis_url: str, prefix: str, tmp_path: Path
) -> None:
    env = {
        "LEGION_MODE": "full",
        "LEGION_CACHE__URL": redis_url,
        "LEGION_SETTINGS_DIRS": "/nonexistent",
    }
    one = load_settings(
        env={**env, "LEGION_HOME": str(tmp_path / "a"), "LEGION_CACHE__PREFIX": f"{prefix}:1"}
    )
    two = load_settings(
        env={**env, "LEGION_HOME": str(tmp_path / "b"), "LEGION_CACHE__PREFIX": f"{prefix}:2"}
    )
    sessions, tokens = open_cache(one, "sessions"), open_cache(one, "tokens")
    other_cluster = open_cache(two, "sessions")
    sessions.set("k", "s")
    tokens.set("k", "t")
    other_cluster.set("k", "o")
    assert (sessions.get("k"), tokens.get("k"), other_cluster.get("k")) == ("s", "t", "o")
    assert open_cache(one, "sessions").get("k") == "s"  # another client, same keys
