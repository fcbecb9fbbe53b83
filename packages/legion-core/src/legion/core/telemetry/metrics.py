"""The engine's Prometheus metrics, in a registry of its own (served by the REST API's
`/metrics`, or read with `render()`)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

LATENCY_BUCKETS = (0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120, 600)


class EngineMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.tasks = Counter(
            "legion_tasks", "Tasks that reached a status", ["status"], registry=self.registry
        )
        self.queue_latency = Histogram(
            "legion_task_queue_seconds",
            "From queued (or due) to running",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.run_time = Histogram(
            "legion_task_run_seconds",
            "From running to the end of the attempt",
            ["function"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )

    def render(self) -> bytes:
        """The text exposition format."""
        return generate_latest(self.registry)
