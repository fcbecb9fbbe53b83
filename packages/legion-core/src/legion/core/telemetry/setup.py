"""The observer the settings ask for (None when telemetry is off: the engine then skips it)."""

from __future__ import annotations

from legion.core.settings.model import Settings
from legion.core.telemetry.observer import TaskObserver


def observer_for(settings: Settings, *, broker: bool) -> TaskObserver | None:
    config = settings.telemetry
    metrics_on = broker if config.metrics is None else config.metrics
    if not metrics_on and not config.traces:
        return None
    from legion.core.telemetry.metrics import EngineMetrics

    tracer = None
    if config.traces:
        from legion.core.telemetry.tracing import TaskTracer, make_provider

        tracer = TaskTracer(make_provider(config.exporter, config.service_name))
    return TaskObserver(EngineMetrics(), tracer)
