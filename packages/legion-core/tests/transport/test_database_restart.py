"""PostgreSQL restarts while tasks run through RabbitMQ: the engine reconnects by itself, every
task completes, and none is left `running`."""

from __future__ import annotations

import base64
import secrets
import threading
import time
import types
from pathlib import Path
from typing import Any

from legion.core.catalog import Catalog
from legion.core.engine import task as st
from legion.core.registry import CapabilityRegistry
from legion.core.runtime import Runtime
from legion.core.sdk import Extension
from legion.core.settings import load_settings
from legion.core.transport import scratch as scratch_queues
from legion.core.transport.queues import queue_for

TASKS = 1000
MARKS: dict[str, float] = {}
LOCK = threading.Lock()


def _runner() -> types.ModuleType:
    module = types.ModuleType("legion.extensions.steady.runners.fn")

    def mark(key: str) -> str:
        time.sleep(0.002)
        with LOCK:
            MARKS.setdefault(key, time.time())
        return key

    mark.__module__ = module.__name__
    module.mark = mark  # type: ignore[attr-defined]
    return module


def wait_for(what: str, check: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)


def test_a_database_restart_leaves_no_task_behind(
    private_postgres: Any, shared_amqp_url: str, tmp_path: Path
) -> None:
    MARKS.clear()
    prefix = scratch_queues.scratch_prefix()
    settings = load_settings(
        overrides={
            "transport.url": shared_amqp_url,
            "transport.queue_prefix": prefix,
            "crypt.cluster_secret": base64.b64encode(secrets.token_bytes(32)).decode(),
            "data.url": private_postgres.url,
        },
        env={"LEGION_HOME": str(tmp_path), "LEGION_SETTINGS_DIRS": str(tmp_path / "none")},
    )
    registry = CapabilityRegistry()
    registry.add(Extension(name="steady", version="1.0", runners=[_runner()]))
    runtime = Runtime.open(settings, Catalog(settings, [], registry))
    runtime.start(recover=False)
    try:
        for i in range(TASKS):
            runtime.engine.submit("steady.fn.mark", {"key": str(i)})
        wait_for("300 tasks run", lambda: len(MARKS) >= 300, 60)
        private_postgres.stop()
        time.sleep(2)  # tasks keep arriving while the database is away
        private_postgres.start()
        wait_for("every task to run", lambda: len(MARKS) == TASKS, 120)

        def settled() -> bool:
            counts = {s: runtime.tasks.query(status=s, limit=1)[1] for s in st.STATUSES}
            return counts[st.COMPLETED] == TASKS and counts[st.RUNNING] == 0

        wait_for("every task completed in the store, none running", settled, 120)
        assert runtime.tasks.query(limit=1)[1] == TASKS
    finally:
        runtime.stop()
        scratch_queues.delete_queues(
            shared_amqp_url,
            [queue_for("steady.fn.mark", prefix), f"{prefix}.legion.runners.default"],
        )
