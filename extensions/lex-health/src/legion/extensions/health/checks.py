"""The individual checks: each returns `{name, status, detail}` and never raises.

Statuses are `ok`, `degraded` (working, but someone should look) and `failed` (not working).
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from legion.extensions.health import probes
from legion.extensions.health.config import Thresholds

if TYPE_CHECKING:
    from legion.core.runtime import Runtime

OK, DEGRADED, FAILED = "ok", "degraded", "failed"
RANK = {OK: 0, DEGRADED: 1, FAILED: 2}
MB = 1024 * 1024

Check = dict[str, Any]


def result(name: str, status: str, detail: str) -> Check:
    return {"name": name, "status": status, "detail": detail}


def worst(statuses: list[str]) -> str:
    return max(statuses, key=RANK.__getitem__, default=OK)


def guarded(name: str, check: Callable[[], Check]) -> Check:
    """A check that itself breaks reports `failed` with the error, instead of hiding the others."""
    try:
        return check()
    except Exception as exc:
        return result(name, FAILED, f"the check raised {type(exc).__name__}: {exc}")


def database(runtime: Runtime) -> Check:
    started = time.monotonic()
    try:
        with runtime.db.connect() as conn:
            conn.exec_driver_sql("SELECT 1").scalar()
    except Exception as exc:
        first = str(exc).splitlines()[0] if str(exc) else ""
        return result("database", FAILED, f"SELECT 1 failed: {type(exc).__name__}: {first}")
    elapsed = (time.monotonic() - started) * 1000
    return result("database", OK, f"{runtime.db.dialect.name}: SELECT 1 in {elapsed:.1f} ms")


def workers(runtime: Runtime) -> Check:
    if not probes.engine_started(runtime):
        return result("workers", DEGRADED, "the engine is not started: no task runs here")
    threads = probes.worker_threads(runtime)
    if threads is None:
        return result("workers", OK, "the work plane does not report its workers")
    expected = runtime.settings.engine.workers
    alive = sum(t.is_alive() for t in threads)
    detail = f"{alive} of {expected} worker threads alive"
    if alive == 0:
        return result("workers", FAILED, detail)
    return result("workers", OK if alive >= expected else DEGRADED, detail)


def writer(runtime: Runtime, limits: Thresholds) -> Check:
    backlog = probes.writer_backlog(runtime)
    thread = probes.writer_thread(runtime)
    pending = "an unknown number of" if backlog is None else str(backlog)
    detail = f"{pending} task changes waiting to be written"
    if probes.engine_started(runtime) and (thread is None or not thread.is_alive()):
        return result("writer", FAILED, f"the task writer thread is not running; {detail}")
    if backlog is not None and backlog > limits.backlog_failed_above:
        return result("writer", FAILED, f"{detail} (over {limits.backlog_failed_above})")
    if backlog is not None and backlog > limits.backlog_degraded_above:
        return result("writer", DEGRADED, f"{detail} (over {limits.backlog_degraded_above})")
    return result("writer", OK, detail)


def existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def disk(runtime: Runtime, limits: Thresholds) -> Check:
    home = runtime.settings.home
    free_mb = shutil.disk_usage(existing(home)).free / MB
    detail = f"{free_mb:,.0f} MB free under {home}"
    if free_mb < limits.disk_failed_below_mb:
        return result("disk", FAILED, f"{detail} (below {limits.disk_failed_below_mb:g} MB)")
    if free_mb < limits.disk_degraded_below_mb:
        return result("disk", DEGRADED, f"{detail} (below {limits.disk_degraded_below_mb:g} MB)")
    return result("disk", OK, detail)


def extensions(runtime: Runtime) -> Check:
    records = runtime.catalog.records
    failed = sorted(r.name for r in records if r.status == "failed")
    loaded = sum(r.status == "loaded" for r in records)
    if failed:
        names = ", ".join(failed)
        return result(
            "extensions",
            DEGRADED,
            f"{len(failed)} failed to load ({names}); {loaded} loaded; `legion lex list` shows why",
        )
    return result("extensions", OK, f"{loaded} loaded, none failed")


def run_all(runtime: Runtime, limits: Thresholds) -> list[Check]:
    return [
        guarded("database", lambda: database(runtime)),
        guarded("workers", lambda: workers(runtime)),
        guarded("writer", lambda: writer(runtime, limits)),
        guarded("disk", lambda: disk(runtime, limits)),
        guarded("extensions", lambda: extensions(runtime)),
    ]
