"""The broker goes away in the middle of 2,000 publishes and comes back: nothing is lost."""

from __future__ import annotations

import base64
import secrets
import threading
import time
import types
from pathlib import Path
from typing import Any

from legion.core.catalog import Catalog
from legion.core.registry import CapabilityRegistry
from legion.core.runtime import Runtime
from legion.core.sdk import Extension
from legion.core.settings import load_settings

TASKS = 2000
MARKS: dict[str, float] = {}
LOCK = threading.Lock()


def _runner() -> types.ModuleType:
    module = types.ModuleType("legion.extensions.chaos.runners.fn")

    def mark(key: str) -> str:
        with LOCK:
            MARKS.setdefault(key, time.time())
        return key

    mark.__module__ = module.__name__
    module.mark = mark  # type: ignore[attr-defined]
    return module


def runtime_on(url: str, home: Path) -> Runtime:
    settings = load_settings(
        overrides={
            "transport.url": url,
            "crypt.cluster_secret": base64.b64encode(secrets.token_bytes(32)).decode(),
            "engine.workers": 4,
        },
        env={"LEGION_HOME": str(home), "LEGION_SETTINGS_DIRS": str(home / "none")},
    )
    registry = CapabilityRegistry()
    registry.add(Extension(name="chaos", version="1.0", runners=[_runner()]))
    return Runtime.open(settings, Catalog(settings, [], registry))


def wait_for(what: str, check: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)


def test_a_broker_restart_loses_no_publish_and_consumption_resumes(
    private_broker: Any, tmp_path: Path
) -> None:
    MARKS.clear()
    runtime = runtime_on(private_broker.url, tmp_path / "home")
    runtime.start(recover=False)
    published: list[str] = []
    errors: list[BaseException] = []

    def publish_all() -> None:
        try:
            for i in range(TASKS):
                published.append(runtime.engine.submit("chaos.fn.mark", {"key": str(i)}).id)
                time.sleep(0.002)  # spread the publishes over the outage
        except BaseException as exc:
            errors.append(exc)

    publisher = threading.Thread(target=publish_all)
    try:
        publisher.start()
        wait_for("500 publishes", lambda: len(published) >= 500, 60)
        private_broker.stop()
        down_at = len(published)
        wait_for("publishes during the outage", lambda: len(published) >= down_at + 100, 60)
        spooled_while_down = runtime.engine.plane.spooled
        private_broker.start()
        back_at = time.time()
        publisher.join(120)
        assert not errors, errors
        assert len(published) == TASKS  # every publish returned: the broker or the spool has it
        assert spooled_while_down > 0
        wait_for("every task to run", lambda: len(MARKS) == TASKS, 120)
        wait_for("the spool to drain", lambda: runtime.engine.plane.spooled == 0, 30)
        resumed = min(at for at in MARKS.values() if at >= back_at)
        assert resumed - back_at <= 10  # consumption came back by itself
        wait_for(
            "every task completed in the store",
            lambda: runtime.tasks.query(status="completed", limit=1)[1] == TASKS,
            60,
        )
    finally:
        publisher.join(5)
        runtime.stop()
