"""Health checks against real lite runtimes (SQLite under a temporary LEGION_HOME)."""

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from legion.core.catalog import Catalog
from legion.core.context import Context
from legion.core.engine.task import Task
from legion.core.errors import ConfigError, UsageError
from legion.core.extensions.discovery import ExtensionRecord
from legion.core.registry import CapabilityRegistry
from legion.core.runtime import Runtime
from legion.core.settings import load_settings
from legion.extensions.health import extension
from legion.extensions.health.runners.check import ping, run

MakeRuntime = Callable[..., Runtime]
# Disk thresholds off, so the outcome does not depend on the machine's free space.
NO_DISK_LIMITS = {"lex.health.disk_degraded_below_mb": 0, "lex.health.disk_failed_below_mb": 0}


@pytest.fixture
def make_runtime(tmp_path: Path) -> Iterator[MakeRuntime]:
    opened: list[Runtime] = []

    def make(
        *, start: bool = True, records: list[ExtensionRecord] | None = None, **overrides: Any
    ) -> Runtime:
        env = {"LEGION_HOME": str(tmp_path / "home"), "LEGION_SETTINGS_DIRS": "/nonexistent"}
        settings = load_settings({**NO_DISK_LIMITS, **overrides}, env=env)
        registry = CapabilityRegistry()
        registry.add(extension)
        loaded = ExtensionRecord("health", "x", "lex-health", "0", "loaded", extension=extension)
        catalog = Catalog(settings, [loaded, *(records or [])], registry)
        runtime = Runtime.open(settings, catalog)
        opened.append(runtime)
        if start:
            runtime.start()
        return runtime

    yield make
    for runtime in opened:
        runtime.stop()


def report(runtime: Runtime) -> dict[str, Any]:
    out: dict[str, Any] = runtime.catalog.registry.get("health.check.run").invoke({})
    return out


def checks(out: dict[str, Any]) -> dict[str, dict[str, str]]:
    return {c["name"]: c for c in out["checks"]}


def test_a_healthy_node_is_ok_with_every_check(make_runtime: MakeRuntime) -> None:
    out = report(make_runtime(**{"engine.workers": 2}))
    assert out["status"] == "ok", out
    found = checks(out)
    assert list(found) == ["database", "workers", "writer", "disk", "extensions"]
    assert all(set(c) == {"name", "status", "detail"} for c in out["checks"])
    assert found["database"]["detail"].startswith("sqlite: SELECT 1 in")
    assert found["workers"]["detail"] == "2 of 2 worker threads alive"
    assert found["writer"]["status"] == "ok"
    assert "MB free under" in found["disk"]["detail"]
    assert found["extensions"]["detail"] == "1 loaded, none failed"
    assert out["mode"] == "lite"


def test_an_unreachable_database_fails_the_node(
    make_runtime: MakeRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = make_runtime()

    def unreachable() -> Any:
        raise OSError("connection refused")

    monkeypatch.setattr(runtime.db, "connect", unreachable)
    out = report(runtime)
    assert out["status"] == "failed"
    assert checks(out)["database"] == {
        "name": "database",
        "status": "failed",
        "detail": "SELECT 1 failed: OSError: connection refused",
    }


def test_a_node_whose_engine_is_not_started_is_degraded(make_runtime: MakeRuntime) -> None:
    out = report(make_runtime(start=False))
    assert out["status"] == "degraded"
    assert checks(out)["workers"]["status"] == "degraded"
    assert "not started" in checks(out)["workers"]["detail"]


def test_dead_workers_fail_the_node(make_runtime: MakeRuntime) -> None:
    runtime = make_runtime(**{"engine.workers": 2})
    runtime.engine.plane.stop()  # the threads end; the engine still believes it runs
    out = report(runtime)
    assert checks(out)["workers"] == {
        "name": "workers",
        "status": "failed",
        "detail": "0 of 2 worker threads alive",
    }
    assert out["status"] == "failed"


def test_a_writer_backlog_degrades_then_fails(make_runtime: MakeRuntime) -> None:
    limits = {"lex.health.backlog_degraded_above": 2, "lex.health.backlog_failed_above": 4}
    runtime = make_runtime(start=False, **limits)  # no writer thread drains the queue
    for _ in range(3):
        runtime.tasks.record(Task(function="x.y.z", args={}))
    assert checks(report(runtime))["writer"]["status"] == "degraded"
    for _ in range(2):
        runtime.tasks.record(Task(function="x.y.z", args={}))
    writer = checks(report(runtime))["writer"]
    assert writer["status"] == "failed"
    assert writer["detail"] == "5 task changes waiting to be written (over 4)"


def test_low_disk_degrades_then_fails(make_runtime: MakeRuntime) -> None:
    huge = 10**12  # more MB than any disk has free
    out = report(make_runtime(**{"lex.health.disk_degraded_below_mb": huge}))
    assert checks(out)["disk"]["status"] == "degraded" and out["status"] == "degraded"
    out = report(
        make_runtime(
            **{"lex.health.disk_degraded_below_mb": huge, "lex.health.disk_failed_below_mb": huge}
        )
    )
    assert checks(out)["disk"]["status"] == "failed" and out["status"] == "failed"


def test_failed_extensions_degrade_the_node_and_are_named(make_runtime: MakeRuntime) -> None:
    broken = ExtensionRecord("broken", "x", "lex-broken", "0", "failed", reason="import failed")
    out = report(make_runtime(records=[broken]))
    assert out["status"] == "degraded"
    assert checks(out)["extensions"]["detail"].startswith("1 failed to load (broken)")


def test_a_check_that_breaks_is_reported_not_raised(
    make_runtime: MakeRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = make_runtime()
    monkeypatch.setattr(runtime.catalog, "records", None)
    out = report(runtime)
    assert checks(out)["extensions"]["status"] == "failed"
    assert checks(out)["extensions"]["detail"].startswith("the check raised TypeError")
    assert checks(out)["database"]["status"] == "ok"


def test_bad_thresholds_are_named(make_runtime: MakeRuntime) -> None:
    runtime = make_runtime(**{"lex.health.disk_failed_below_mb": -1})
    with pytest.raises(ConfigError, match=r"lex\.health\.disk_failed_below_mb"):
        report(runtime)


def test_run_works_as_a_task(make_runtime: MakeRuntime) -> None:
    runtime = make_runtime()
    task = runtime.engine.submit("health.check.run")
    assert runtime.engine.wait(task.id, timeout=30)
    done = runtime.engine.get(task.id)
    assert done is not None and done.status == "completed", done and done.error
    assert done.result["status"] == "ok"


def test_run_needs_a_node() -> None:
    with pytest.raises(UsageError, match="needs a running Legion node"):
        run(Context(extension="health"))


def test_ping_answers_ok_without_a_node() -> None:
    before = datetime.now(UTC)
    out = ping()
    assert out["status"] == "ok"
    stamp = datetime.fromisoformat(out["timestamp"])
    assert before - timedelta(seconds=1) <= stamp <= datetime.now(UTC)
    registry = CapabilityRegistry()
    registry.add(extension)
    assert registry.get("health.check.ping").invoke({})["status"] == "ok"
    assert (
        "properties" not in registry.get("health.check.run").input_schema
        or not (registry.get("health.check.run").input_schema["properties"])
    )
