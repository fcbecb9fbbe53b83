"""Telemetry of the engine: one OpenTelemetry trace per master task (a span per task, carried
across processes in the message) and Prometheus metrics (tasks by status, queue latency, run
time). Off the hot path when off: the engine calls an observer only when one is set."""
