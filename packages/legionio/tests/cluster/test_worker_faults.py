"""Worker processes sharing RabbitMQ queues, and what happens when one is killed mid-run."""

from __future__ import annotations

import importlib
import os
import signal
import sys
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

from legion.core.catalog import Catalog
from legion.core.registry import CapabilityRegistry
from legion.core.runtime import Runtime
from legion.core.settings import load_settings

TASKS = 2000


def publisher(cluster: Any) -> Runtime:
    """A client runtime in this process: it publishes tasks and consumes nothing."""
    root = str(Path(cluster.env["FAULTY_JOURNAL"]).parent / "ext")
    if root not in sys.path:
        sys.path.insert(0, root)
    module = importlib.import_module("legion.extensions.faulty")
    settings = load_settings(env=cluster.env)
    registry = CapabilityRegistry()
    registry.add(module.extension)
    runtime = Runtime.open(settings, Catalog(settings, [], registry), consume=False)
    runtime.start(recover=False)
    return runtime


def test_kill_9_of_a_worker_loses_no_task_and_repeats_only_what_was_in_flight(
    cluster: Any,
) -> None:
    supervisor = cluster.start_workers(processes=2, threads=4)
    queue = f"{cluster.prefix}.faulty.runners.work"
    cluster.wait_for("two consumers", lambda: cluster.consumers(queue) == 2, timeout=90)
    client = publisher(cluster)
    try:
        keys = [uuid.uuid4().hex for _ in range(TASKS)]
        for key in keys:
            client.engine.submit("faulty.work.run", {"key": key, "ms": 5}, idempotency_key=key)
        client.engine.flush()
    finally:
        client.stop()
    cluster.wait_for(
        "some tasks done",
        lambda: cluster.count("SELECT count(*) FROM tasks WHERE status = 'completed'") >= 300,
    )
    victims = cluster.children_of(supervisor.pid)
    assert len(victims) == 2
    victim = victims[0]
    os.kill(victim, signal.SIGKILL)
    cluster.wait_for(
        "every task completed",
        lambda: (
            cluster.count(
                "SELECT count(*) FROM tasks "
                "WHERE status = 'completed' AND function = 'faulty.work.run'"
            )
            == TASKS
        ),
        timeout=180,
    )
    assert cluster.count("SELECT count(*) FROM tasks WHERE function = 'faulty.work.run'") == TASKS
    assert sorted(p.name for p in cluster.effects.iterdir()) == sorted(keys)  # every effect, once

    lines = cluster.journal_lines()
    started = Counter(key for kind, key, _ in lines if kind == "start")
    assert set(started) == set(keys)
    by_victim = {key for kind, key, pid in lines if kind == "start" and pid == victim}
    repeated = {key for key, n in started.items() if n > 1}
    # Only messages the killed worker held unacknowledged run again: ones it was running, and
    # ones it had run whose acknowledgement had not reached the broker. RabbitMQ bounds those by
    # the prefetch (transport.prefetch, 64).
    assert repeated <= by_victim
    assert len(repeated) <= 64
    # The supervisor started the killed worker again.
    cluster.wait_for(
        "a replacement worker",
        lambda: victim not in (now := cluster.children_of(supervisor.pid)) and len(now) == 2,
    )
