"""Engine metrics: tasks by status, queue latency and run time, in Prometheus' text format."""

from __future__ import annotations

import types
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from legion.core.catalog import Catalog
from legion.core.registry import CapabilityRegistry
from legion.core.runtime import Runtime
from legion.core.sdk import Extension
from legion.core.settings import load_settings
from legion.core.telemetry.observer import TaskObserver


def _runner() -> types.ModuleType:
    module = types.ModuleType("legion.extensions.meter.runners.fn")

    def ok() -> str:
        return "ok"

    def boom() -> str:
        raise RuntimeError("boom")

    for fn in (ok, boom):
        fn.__module__ = module.__name__
        setattr(module, fn.__name__, fn)
    return module


def runtime_with(home: Path, **overrides: object) -> Runtime:
    settings = load_settings(
        overrides=dict(overrides),
        env={"LEGION_HOME": str(home), "LEGION_SETTINGS_DIRS": str(home / "none")},
    )
    registry = CapabilityRegistry()
    registry.add(Extension(name="meter", version="1.0", runners=[_runner()]))
    return Runtime.open(settings, Catalog(settings, [], registry))


def samples(observer: TaskObserver) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(observer.metrics.render().decode()):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_metrics_count_tasks_by_status_and_time_them(tmp_path: Path) -> None:
    runtime = runtime_with(tmp_path, **{"telemetry.metrics": True})
    runtime.start()
    try:
        observer = runtime.engine.observer
        assert observer is not None
        for _ in range(3):
            assert runtime.engine.wait(runtime.engine.submit("meter.fn.ok").id, 10)
        assert runtime.engine.wait(runtime.engine.submit("meter.fn.boom").id, 10)
        got = samples(observer)
        assert got[("legion_tasks_total", (("status", "completed"),))] == 3
        assert got[("legion_tasks_total", (("status", "failed"),))] == 1
        assert got[("legion_task_run_seconds_count", (("function", "meter.fn.ok"),))] == 3
        assert got[("legion_task_queue_seconds_count", ())] == 4
    finally:
        runtime.stop()


def test_telemetry_is_off_in_lite_mode_by_default(tmp_path: Path) -> None:
    runtime = runtime_with(tmp_path)
    try:
        assert runtime.engine.observer is None  # the engine skips it: no cost per task
    finally:
        runtime.stop()
