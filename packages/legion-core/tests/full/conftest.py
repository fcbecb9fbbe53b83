"""Fixtures for the full-mode tests: a Redis client and a key prefix of this test's own.

Redis comes from LEGION_TEST_REDIS_URL, else LEGION_CACHE__URL, else 127.0.0.1:6379. When it is
unreachable the tests skip, unless LEGION_REQUIRE_SERVICES=1, where they fail instead. Every test
writes under a random prefix and deletes exactly those keys afterwards (never FLUSHDB).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

REDIS_URL = (
    os.environ.get("LEGION_TEST_REDIS_URL")
    or os.environ.get("LEGION_CACHE__URL")
    or "redis://127.0.0.1:6379/0"
)


@pytest.fixture(autouse=True)
def legion_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Each test gets its own LEGION_HOME and settings directory; the host's files never leak in."""
    home = tmp_path / "legion-home"
    (home / "settings").mkdir(parents=True)
    monkeypatch.setenv("LEGION_HOME", str(home))
    monkeypatch.setenv("LEGION_SETTINGS_DIRS", str(home / "settings"))
    for name in ("LEGION_MODE", "LEGION_CACHE__URL", "LEGION_CACHE__PREFIX"):
        monkeypatch.delenv(name, raising=False)
    yield home


@pytest.fixture(scope="session")
def redis_url() -> str:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.RedisError as exc:
        if os.environ.get("LEGION_REQUIRE_SERVICES") == "1":
            pytest.fail(f"Redis required but unreachable at {REDIS_URL}: {exc}")
        pytest.skip(f"Redis unreachable at {REDIS_URL}")
    finally:
        client.close()
    return REDIS_URL


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url, socket_connect_timeout=3)
    yield client
    client.close()


@pytest.fixture
def prefix(redis_client: redis.Redis) -> Iterator[str]:
    """A key prefix used by this test only; its keys are deleted when the test ends."""
    value = f"legion-test-{secrets.token_hex(6)}"
    yield value
    keys = list(redis_client.scan_iter(match=f"{value}:*", count=500))
    if keys:
        redis_client.delete(*keys)
    assert not list(redis_client.scan_iter(match=f"{value}:*"))
