"""A worker dies after its task completed but before the broker got the ack: the redelivered
message does not run the task again, and publishes the follow-ups it may have missed, with the
same ids, so each runs once."""

from __future__ import annotations

import base64
import secrets
import threading
import time
import types
from pathlib import Path

import pika

from legion.core.catalog import Catalog
from legion.core.engine import task as st
from legion.core.engine.task import Task, child_id
from legion.core.registry import CapabilityRegistry
from legion.core.runtime import Runtime
from legion.core.sdk import Extension
from legion.core.settings import load_settings
from legion.core.transport import scratch as scratch_queues
from legion.core.transport.queues import queue_for

CALLS: list[str] = []
LOCK = threading.Lock()


def _runner() -> types.ModuleType:
    module = types.ModuleType("legion.extensions.relay.runners.fn")

    def first(n: int) -> dict[str, int]:
        with LOCK:
            CALLS.append("first")
        return {"n": n + 1}

    def second(n: int) -> dict[str, int]:
        with LOCK:
            CALLS.append("second")
        return {"n": n * 10}

    for fn in (first, second):
        fn.__module__ = module.__name__
        setattr(module, fn.__name__, fn)
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
    registry.add(Extension(name="relay", version="1.0", runners=[_runner()]))
    return Runtime.open(settings, Catalog(settings, [], registry), consume=consume)


def requeue_as_redelivered(url: str, queue: str) -> None:
    """Take the message without acknowledging it and drop the connection, as a dying worker
    does: RabbitMQ puts it back marked redelivered."""
    connection = pika.BlockingConnection(pika.URLParameters(url))
    channel = connection.channel()
    deadline = time.monotonic() + 30
    method = None
    while method is None and time.monotonic() < deadline:
        method, _, _ = channel.basic_get(queue, auto_ack=False)
        if method is None:
            time.sleep(0.05)
    assert method is not None, "the message never reached the queue"
    connection.close()


def test_a_redelivered_completed_task_publishes_its_follow_ups_once(
    shared_amqp_url: str, tmp_path: Path
) -> None:
    CALLS.clear()
    prefix = scratch_queues.scratch_prefix()
    secret = base64.b64encode(secrets.token_bytes(32)).decode()
    queue = queue_for("relay.fn.first", prefix)
    client = open_runtime(shared_amqp_url, prefix, secret, tmp_path, consume=False)
    worker: Runtime | None = None
    try:
        rel = client.relationships.create(
            client.catalog.registry, trigger="relay.fn.first", action="relay.fn.second"
        )
        client.reload_relationships()
        client.start(recover=False)
        parent = client.engine.submit("relay.fn.first", {"n": 1})
        client.engine.flush()
        requeue_as_redelivered(shared_amqp_url, queue)
        # What the dead worker had written: the task completed, its follow-up never published.
        done = Task(
            function=parent.function,
            args=parent.args,
            id=parent.id,
            status=st.COMPLETED,
            result={"n": 2},
            version=parent.version + 5,
        )
        client.tasks.record(done, "completed on a worker that then died")
        client.engine.flush()
        worker = open_runtime(shared_amqp_url, prefix, secret, tmp_path, consume=True)
        worker.start(recover=False)
        follow_up = child_id(parent.id, rel.id, 0, 0)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            stored = worker.tasks.get(follow_up)
            if stored is not None and stored.status == st.COMPLETED:
                break
            time.sleep(0.05)
        assert stored is not None and stored.status == st.COMPLETED
        assert stored.result == {"n": 20} and stored.parent_id == parent.id
        assert CALLS == ["second"]  # the completed task did not run again
        assert worker.tasks.get(parent.id).status == st.COMPLETED  # type: ignore[union-attr]
    finally:
        if worker is not None:
            worker.stop()
        client.stop()
        scratch_queues.delete_queues(shared_amqp_url, [queue, f"{prefix}.legion.runners.default"])
