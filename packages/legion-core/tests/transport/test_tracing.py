"""One trace per master task: a follow-up that runs on another worker continues its parent's
trace, the context travelling in the message."""

from __future__ import annotations

import base64
import secrets
import time
import types
from pathlib import Path

from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from legion.core.catalog import Catalog
from legion.core.engine import task as st
from legion.core.engine.task import child_id
from legion.core.registry import CapabilityRegistry
from legion.core.runtime import Runtime
from legion.core.sdk import Extension
from legion.core.settings import load_settings
from legion.core.telemetry.metrics import EngineMetrics
from legion.core.telemetry.observer import TaskObserver
from legion.core.telemetry.tracing import TaskTracer, make_provider
from legion.core.transport import scratch as scratch_queues
from legion.core.transport.queues import queue_for


def _runner() -> types.ModuleType:
    module = types.ModuleType("legion.extensions.relay2.runners.fn")

    def first(n: int) -> dict[str, int]:
        return {"n": n + 1}

    module.first = first  # type: ignore[attr-defined]
    first.__module__ = module.__name__
    second_module = types.ModuleType("legion.extensions.relay2.runners.other")

    def second(n: int) -> dict[str, int]:
        return {"n": n * 10}

    second.__module__ = second_module.__name__
    second_module.second = second  # type: ignore[attr-defined]
    return module, second_module  # type: ignore[return-value]


def open_worker(
    url: str, prefix: str, secret: str, home: Path, queue: str, sink: InMemorySpanExporter
) -> Runtime:
    settings = load_settings(
        overrides={
            "transport.url": url,
            "transport.queue_prefix": prefix,
            "crypt.cluster_secret": secret,
            "telemetry.traces": True,
        },
        env={"LEGION_HOME": str(home), "LEGION_SETTINGS_DIRS": str(home / "none")},
    )
    registry = CapabilityRegistry()
    registry.add(Extension(name="relay2", version="1.0", runners=list(_runner())))
    runtime = Runtime.open(settings, Catalog(settings, [], registry))
    tracer = TaskTracer(make_provider("console", "test", sink=sink))
    runtime.engine.observer = TaskObserver(EngineMetrics(), tracer)
    runtime.engine.plane._queues = lambda: {queue}  # type: ignore[attr-defined]  # this runner only
    return runtime


def test_a_follow_up_on_another_worker_continues_the_trace(
    shared_amqp_url: str, tmp_path: Path
) -> None:
    prefix = scratch_queues.scratch_prefix()
    secret = base64.b64encode(secrets.token_bytes(32)).decode()
    sink = InMemorySpanExporter()
    first_queue = queue_for("relay2.fn.first", prefix)
    second_queue = queue_for("relay2.other.second", prefix)
    one = open_worker(shared_amqp_url, prefix, secret, tmp_path, first_queue, sink)
    two = open_worker(shared_amqp_url, prefix, secret, tmp_path, second_queue, sink)
    try:
        rel = one.relationships.create(
            one.catalog.registry, trigger="relay2.fn.first", action="relay2.other.second"
        )
        one.reload_relationships()
        one.start(recover=False)
        two.start(recover=False)
        root = one.engine.submit("relay2.fn.first", {"n": 1})
        follow_up = child_id(root.id, rel.id, 0, 0)
        deadline = time.monotonic() + 30
        while len(sink.get_finished_spans()) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        spans = {span.name: span for span in sink.get_finished_spans()}
        assert set(spans) == {"relay2.fn.first", "relay2.other.second"}
        parent, child = spans["relay2.fn.first"], spans["relay2.other.second"]
        assert child.attributes is not None and child.attributes["legion.task.id"] == follow_up
        assert child.context.trace_id == parent.context.trace_id  # one trace per master task
        assert child.parent is not None and child.parent.span_id == parent.context.span_id
        assert child.attributes["legion.task.master_id"] == root.id
        stored = two.tasks.get(follow_up)
        assert stored is not None and stored.status == st.COMPLETED
    finally:
        one.stop()
        two.stop()
        scratch_queues.delete_queues(
            shared_amqp_url, [first_queue, second_queue, f"{prefix}.legion.runners.default"]
        )
