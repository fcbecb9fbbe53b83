"""Tracing: a span per task attempt; a root task starts a trace and every follow-up continues
it, in this process or on another worker (the W3C `traceparent` travels in the message)."""

from __future__ import annotations

import importlib
from typing import Any

from opentelemetry import trace
from opentelemetry.propagate import extract, inject
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExporter,
)
from opentelemetry.trace import Span, Status, StatusCode

from legion.core.errors import ConfigError

TRACER = "legion.core.engine"
OTLP_MODULE = "opentelemetry.exporter.otlp.proto.http.trace_exporter"


def make_provider(exporter: str, service: str, *, sink: SpanExporter | None = None) -> Any:
    """A tracer provider exporting to `exporter` ("console", "otlp"), or to `sink` (tests)."""
    from opentelemetry.sdk.resources import Resource

    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    if sink is not None:
        provider.add_span_processor(SimpleSpanProcessor(sink))
    elif exporter == "console":
        provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
    elif exporter == "otlp":
        try:  # optional: the user installs the exporter that fits their collector
            module = importlib.import_module(OTLP_MODULE)
        except ImportError:
            raise ConfigError(
                "telemetry.exporter is otlp, but the OTLP exporter is not installed",
                hint="pip install opentelemetry-exporter-otlp-proto-http (it reads the standard "
                "OTEL_EXPORTER_OTLP_* variables)",
            ) from None
        provider.add_span_processor(BatchSpanProcessor(module.OTLPSpanExporter()))
    return provider


class TaskTracer:
    def __init__(self, provider: Any) -> None:
        self.provider = provider
        self._tracer = provider.get_tracer(TRACER)
        self._spans: dict[str, Span] = {}

    def start(self, task: Any) -> None:
        parent = extract(task.trace) if task.trace else None
        span = self._tracer.start_span(
            task.function,
            context=parent,
            attributes={
                "legion.task.id": task.id,
                "legion.task.master_id": task.root_id,
                "legion.task.attempt": task.attempts,
            },
        )
        self._spans[task.id] = span
        carrier: dict[str, str] = {}
        inject(carrier, context=trace.set_span_in_context(span))
        task.trace_children = carrier

    def end(self, task: Any) -> None:
        span = self._spans.pop(task.id, None)
        if span is None:
            return
        span.set_attribute("legion.task.status", task.status)
        if task.error:
            span.set_status(Status(StatusCode.ERROR, str(task.error.get("message", ""))))
        span.end()
