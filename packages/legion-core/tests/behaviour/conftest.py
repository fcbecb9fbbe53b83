"""The engine behaviour suite: written once, run against every backend in BACKENDS.

`lite` is the in-process plane on SQLite; `lite+postgresql` and `lite+mariadb` are the same plane
with the store on a scratch schema (database) of the servers named by LEGION_TEST_POSTGRES_URL and
LEGION_TEST_MYSQL_URL, made once per session, emptied before every test and dropped at the end.
`rabbitmq+postgresql+redis` and `rabbitmq+mariadb` are full mode: tasks travel as sealed messages
through RabbitMQ (LEGION_TEST_AMQP_URL) on queues of a prefix of this session's own, purged before
every test and deleted at the end. Unreachable servers skip those backends, unless
LEGION_REQUIRE_SERVICES=1.
"""

from __future__ import annotations

import base64
import os
import secrets
import threading
import time
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from legion.core.catalog import Catalog
from legion.core.context import Context
from legion.core.registry import CapabilityRegistry
from legion.core.runtime import Runtime
from legion.core.sdk import Extension, capability
from legion.core.settings import load_settings
from legion.core.store.scratch import ScratchStore, create_scratch
from legion.core.transport import scratch as scratch_queues
from legion.core.transport.queues import queues_for

CALLS: dict[str, int] = {}
STARTED: dict[str, float] = {}
LOCK = threading.Lock()


def build_runner() -> types.ModuleType:
    mod = types.ModuleType("legion.extensions.t.runners.fn")

    def noop() -> None:
        return None

    def echo(value: Any = None) -> dict[str, Any]:
        return {"value": value}

    def add(a: int, b: int = 0) -> dict[str, int]:
        return {"sum": a + b}

    def listy(n: int) -> list[dict[str, int]]:
        return [{"value": i} for i in range(n)]

    def flaky(key: str, failures: int) -> dict[str, int]:
        with LOCK:
            CALLS[key] = CALLS.get(key, 0) + 1
            count = CALLS[key]
        if count <= failures:
            raise RuntimeError(f"failure {count} of {key}")
        return {"calls": count}

    @capability(retries=3)
    def flaky_retried(key: str, failures: int) -> dict[str, int]:
        return flaky(key, failures)

    @capability(timeout=0.3)
    def sleepy(seconds: float) -> str:
        end = time.monotonic() + seconds
        while time.monotonic() < end:  # Python code, so the time limit can interrupt it
            time.sleep(0.01)
        return "woke"

    def mark(key: str) -> str:
        STARTED[key] = time.time()
        return key

    def nonjson() -> object:
        return object()

    def whoami(ctx: Context) -> dict[str, Any]:
        return {
            "extension": ctx.extension,
            "task_id": ctx.task_id,
            "greeting": ctx.settings["greeting"],
        }

    for fn in (noop, echo, add, listy, flaky, flaky_retried, sleepy, mark, nonjson, whoami):
        fn.__module__ = mod.__name__
        setattr(mod, fn.__name__, fn)
    return mod


EXTENSION = Extension(
    name="t", version="1.0", runners=[build_runner()], settings={"greeting": "hi"}
)


def lite_runtime(home: Path, **overrides: Any) -> Runtime:
    settings = load_settings(
        overrides={"engine.retry_backoff": 0.01, **overrides},
        env={"LEGION_HOME": str(home), "LEGION_SETTINGS_DIRS": str(home / "none")},
    )
    registry = CapabilityRegistry()
    registry.add(EXTENSION)
    return Runtime.open(settings, Catalog(settings, [], registry))


class ServerStoreRuntime:
    """Lite runtimes whose store is a scratch namespace on a database server."""

    def __init__(self, env: str, default: str) -> None:
        self.server_url = os.environ.get(env) or default
        self._scratch: ScratchStore | None = None

    def __call__(self, home: Path, **overrides: Any) -> Runtime:
        return lite_runtime(home, **{"data.url": self.scratch().url, **overrides})

    def scratch(self) -> ScratchStore:
        if self._scratch is None:
            try:
                self._scratch = create_scratch(self.server_url)
            except Exception as exc:  # connection refused, bad credentials, missing driver
                reason = f"{self.server_url} unreachable: {type(exc).__name__}"
                if os.environ.get("LEGION_REQUIRE_SERVICES") == "1":
                    pytest.fail(f"required database server {reason}: {exc}")
                pytest.skip(reason)
        return self._scratch

    def reset(self) -> None:
        """Empty the tables before a test, so every test starts from an empty store."""
        if self._scratch is not None:
            self._scratch.clear()

    def close(self) -> None:
        if self._scratch is not None:
            self._scratch.drop()
            self._scratch = None


def require(reason: str) -> None:
    if os.environ.get("LEGION_REQUIRE_SERVICES") == "1":
        pytest.fail(f"required server {reason}")
    pytest.skip(reason)


class BrokerRuntime:
    """Full-mode runtimes: RabbitMQ work plane, a server store, and optionally Redis."""

    def __init__(self, store: ServerStoreRuntime, cache_url: str | None) -> None:
        self.store = store
        self.amqp_url = (
            os.environ.get("LEGION_TEST_AMQP_URL") or "amqp://guest:guest@127.0.0.1:5672/%2F"
        )
        self.cache_url = cache_url
        self.prefix = scratch_queues.scratch_prefix()
        self.secret = base64.b64encode(secrets.token_bytes(32)).decode()
        self._checked = False

    @property
    def queues(self) -> set[str]:
        return queues_for(["t.fn.x"], self.prefix) | {f"{self.prefix}.legion.runners.default"}

    def __call__(self, home: Path, **overrides: Any) -> Runtime:
        if not self._checked:
            try:
                scratch_queues.purge_queues(self.amqp_url, [])
            except Exception as exc:
                require(f"RabbitMQ at {self.amqp_url} unreachable: {type(exc).__name__}")
            self._checked = True
        full = {
            "transport.url": self.amqp_url,
            "transport.queue_prefix": self.prefix,
            "crypt.cluster_secret": self.secret,
        }
        if self.cache_url:
            full |= {"cache.url": self.cache_url, "cache.prefix": self.prefix}
        return self.store(home, **{**full, **overrides})

    def reset(self) -> None:
        self.store.reset()
        if self._checked:
            scratch_queues.purge_queues(self.amqp_url, self.queues)

    def close(self) -> None:
        self.store.close()
        if self._checked:
            scratch_queues.delete_queues(self.amqp_url, self.queues)


REDIS_URL = os.environ.get("LEGION_TEST_REDIS_URL") or "redis://127.0.0.1:6379/0"
SERVER_BACKENDS = {
    "lite+postgresql": ServerStoreRuntime(
        "LEGION_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
    ),
    "lite+mariadb": ServerStoreRuntime("LEGION_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test"),
}
FULL_BACKENDS = {
    "rabbitmq+postgresql+redis": BrokerRuntime(
        ServerStoreRuntime("LEGION_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"),
        REDIS_URL,
    ),
    "rabbitmq+mariadb": BrokerRuntime(
        ServerStoreRuntime("LEGION_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test"), None
    ),
}
BACKENDS: dict[str, Callable[..., Runtime]] = {
    "lite": lite_runtime,
    **SERVER_BACKENDS,
    **FULL_BACKENDS,
}


@pytest.fixture(scope="session", autouse=True)
def drop_scratch_stores() -> Iterator[None]:
    yield
    for backend in (*SERVER_BACKENDS.values(), *FULL_BACKENDS.values()):
        backend.close()


@pytest.fixture(params=sorted(BACKENDS))
def make_runtime(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Callable[..., Runtime]]:
    """A factory of started runtimes on one store; all are stopped after the test."""
    made: list[Runtime] = []
    backend = BACKENDS[request.param]
    if isinstance(backend, ServerStoreRuntime | BrokerRuntime):
        backend.reset()

    def make(start: bool = True, **overrides: Any) -> Runtime:
        runtime = backend(tmp_path / "home", **overrides)
        if start:
            runtime.start()
        made.append(runtime)
        return runtime

    yield make
    for runtime in made:
        runtime.stop()


@pytest.fixture
def runtime(make_runtime: Callable[..., Runtime]) -> Runtime:
    return make_runtime()
