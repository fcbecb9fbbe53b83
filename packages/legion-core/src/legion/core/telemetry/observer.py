"""What the engine tells telemetry: an attempt started, an attempt or the task ended."""

from __future__ import annotations

import time
from typing import Any

from legion.core.telemetry.metrics import EngineMetrics
from legion.core.telemetry.tracing import TaskTracer


class TaskObserver:
    def __init__(self, metrics: EngineMetrics, tracer: TaskTracer | None) -> None:
        self.metrics = metrics
        self.tracer = tracer

    def started(self, task: Any) -> None:
        since = task.run_at or task.created_at
        if task.started_at and since:
            self.metrics.queue_latency.observe(max(0.0, task.started_at - since))
        if self.tracer is not None:
            self.tracer.start(task)

    def ended(self, task: Any) -> None:
        """An attempt ended: the task is final, or waits for a retry."""
        self.metrics.tasks.labels(task.status).inc()
        if task.started_at:
            self.metrics.run_time.labels(task.function).observe(
                max(0.0, (task.finished_at or time.time()) - task.started_at)
            )
        if self.tracer is not None:
            self.tracer.end(task)
