"""Task events reach every process of the cluster through the `legion.events` topic exchange,
with the in-process bus's wildcards; a process does not hear its own events twice."""

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
from legion.core.transport import scratch as scratch_queues
from legion.core.transport.event_bus import ClusterBus
from legion.core.transport.queues import queue_for


def _runner() -> types.ModuleType:
    module = types.ModuleType("legion.extensions.loud.runners.fn")

    def shout(word: str) -> str:
        return word.upper()

    shout.__module__ = module.__name__
    module.shout = shout  # type: ignore[attr-defined]
    return module


def open_runtime(url: str, prefix: str, secret: str, home: Path, consume: bool) -> Runtime:
    settings = load_settings(
        overrides={
            "transport.url": url,
            "transport.queue_prefix": prefix,
            "crypt.cluster_secret": secret,
        },
        env={"LEGION_HOME": str(home), "LEGION_SETTINGS_DIRS": str(home / "none")},
    )
    registry = CapabilityRegistry()
    registry.add(Extension(name="loud", version="1.0", runners=[_runner()]))
    return Runtime.open(settings, Catalog(settings, [], registry), consume=consume)


def test_events_of_one_process_reach_another(shared_amqp_url: str, tmp_path: Path) -> None:
    prefix = scratch_queues.scratch_prefix()
    secret = base64.b64encode(secrets.token_bytes(32)).decode()
    worker = open_runtime(shared_amqp_url, prefix, secret, tmp_path, consume=True)
    watcher = open_runtime(shared_amqp_url, prefix, secret, tmp_path, consume=False)
    assert isinstance(worker.engine.bus, ClusterBus) and isinstance(watcher.engine.bus, ClusterBus)
    heard: list[tuple[str, dict[str, Any]]] = []
    own: list[str] = []
    done = threading.Event()

    def on_event(key: str, body: dict[str, Any]) -> None:
        heard.append((key, body))
        if key == "task.completed":
            done.set()

    try:
        watcher.engine.bus.subscribe("task.*", on_event)
        worker.engine.bus.subscribe("task.completed", lambda key, body: own.append(body["id"]))
        watcher.start(recover=False)
        worker.start(recover=False)
        task = worker.engine.submit("loud.fn.shout", {"word": "hi"})
        assert done.wait(30), heard
        keys = [key for key, body in heard if body["id"] == task.id]
        assert keys[-1] == "task.completed" and "task.running" in keys
        assert heard[-1][1]["function"] == "loud.fn.shout"
        deadline = time.monotonic() + 5
        while not own and time.monotonic() < deadline:
            time.sleep(0.05)
        assert own == [task.id]  # the worker heard its own event once, locally
    finally:
        worker.stop()
        watcher.stop()
        scratch_queues.delete_queues(
            shared_amqp_url,
            [queue_for("loud.fn.shout", prefix), f"{prefix}.legion.runners.default"],
        )
