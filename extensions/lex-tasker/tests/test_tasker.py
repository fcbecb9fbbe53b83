"""Housekeeping against real lite runtimes (SQLite under a temporary LEGION_HOME); a `testing`
extension's `blocker.hold` occupies the only worker until a test releases it."""

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar, get_args

import pytest

from legion.core.catalog import Catalog
from legion.core.context import Context
from legion.core.engine import task as st
from legion.core.engine.task import Task
from legion.core.errors import UsageError, ValidationFailed
from legion.core.extensions.discovery import ExtensionRecord
from legion.core.registry import CapabilityRegistry
from legion.core.runtime import Runtime
from legion.core.sdk import Extension
from legion.core.settings import load_settings
from legion.extensions.tasker import EXPIRE_EVERY, PURGE_EVERY, REAP_EVERY, extension
from legion.extensions.tasker.runners.housekeeping import FinalStatus

DAY = 86400.0
MakeRuntime = Callable[..., Runtime]


class Blocker:
    """`hold` blocks its worker until `release` is set; `noop` records that it ran."""

    release: ClassVar[threading.Event] = threading.Event()
    ran: ClassVar[list[str]] = []

    def hold(self) -> str:
        Blocker.release.wait(30)
        return "held"

    def noop(self) -> str:
        Blocker.ran.append("noop")
        return "ran"


TESTING = Extension(name="testing", version="0", runners=[Blocker])


def record(ext: Extension) -> ExtensionRecord:
    return ExtensionRecord(ext.name, "tests", None, ext.version, "loaded", extension=ext)


@pytest.fixture
def make_runtime(tmp_path: Path) -> Iterator[Callable[..., Runtime]]:
    opened: list[Runtime] = []
    Blocker.release = threading.Event()
    Blocker.ran = []

    def make(*, start: bool = True, recover: bool = True, **overrides: Any) -> Runtime:
        env = {"LEGION_HOME": str(tmp_path / "home"), "LEGION_SETTINGS_DIRS": "/nonexistent"}
        settings = load_settings({"engine.workers": 1, **overrides}, env=env)
        registry = CapabilityRegistry()
        registry.add(extension)
        registry.add(TESTING)
        catalog = Catalog(settings, [record(extension), record(TESTING)], registry)
        runtime = Runtime.open(settings, catalog)
        opened.append(runtime)
        if start:
            runtime.start(recover=recover)
        return runtime

    yield make
    Blocker.release.set()
    for runtime in opened:
        runtime.stop()


@pytest.fixture
def runtime(make_runtime: Callable[..., Runtime]) -> Runtime:
    return make_runtime()


def call(runtime: Runtime, address: str, **args: Any) -> Any:
    return runtime.catalog.registry.get(address).invoke(args)


def stored(
    runtime: Runtime, status: str, age: float, function: str = "testing.blocker.noop"
) -> Task:
    """A task written straight to the store, created (and, if final, finished) `age` seconds ago."""
    at = time.time() - age
    task = Task(function=function, args={}, status=status, created_at=at)
    if status in st.FINAL:
        task.started_at = task.finished_at = at
    runtime.tasks.insert_now(task, "made by the test")
    return task


def status_of(runtime: Runtime, task: Task) -> str:
    found = runtime.tasks.get(task.id)
    return found.status if found else "(gone)"


# -- purge ---------------------------------------------------------------------------------------


def test_purge_deletes_old_completed_tasks_and_their_logs(runtime: Runtime) -> None:
    old = stored(runtime, st.COMPLETED, 40 * DAY)
    recent = stored(runtime, st.COMPLETED, 1 * DAY)
    old_failed = stored(runtime, st.FAILED, 40 * DAY)
    old_queued = stored(runtime, st.DELAYED, 40 * DAY)
    out = call(runtime, "tasker.housekeeping.purge")
    assert out["purged"] == 1 and out["statuses"] == ["completed"]
    assert status_of(runtime, old) == "(gone)" and runtime.tasks.logs(old.id) == []
    assert status_of(runtime, recent) == st.COMPLETED
    assert status_of(runtime, old_failed) == st.FAILED
    assert status_of(runtime, old_queued) == st.DELAYED


def test_purge_takes_days_statuses_and_limit(runtime: Runtime) -> None:
    failed = [stored(runtime, st.FAILED, 3 * DAY) for _ in range(3)]
    cancelled = stored(runtime, st.CANCELLED, 3 * DAY)
    out = call(runtime, "tasker.housekeeping.purge", days=2, statuses=["failed"], limit=2)
    assert out["purged"] == 2
    assert sum(status_of(runtime, t) == "(gone)" for t in failed) == 2
    out = call(runtime, "tasker.housekeeping.purge", days=2, statuses=["failed", "cancelled"])
    assert out["purged"] == 2 and out["statuses"] == ["cancelled", "failed"]
    assert status_of(runtime, cancelled) == "(gone)"


def test_purge_with_zero_days_takes_everything_finished(runtime: Runtime) -> None:
    stored(runtime, st.COMPLETED, 1.0)
    assert call(runtime, "tasker.housekeeping.purge", days=0)["purged"] == 1


def test_purge_refuses_statuses_that_are_not_final(runtime: Runtime) -> None:
    for bad in (["queued"], ["running"], [], ["nonsense"]):
        with pytest.raises(ValidationFailed, match="statuses"):
            call(runtime, "tasker.housekeeping.purge", statuses=bad)
    with pytest.raises(ValidationFailed, match="days"):
        call(runtime, "tasker.housekeeping.purge", days=-1)


def test_the_final_statuses_offered_are_the_engines() -> None:
    assert set(get_args(FinalStatus)) == st.FINAL


def test_purge_runs_as_a_task(runtime: Runtime) -> None:
    stored(runtime, st.COMPLETED, 40 * DAY)
    task = runtime.engine.submit("tasker.housekeeping.purge")
    assert runtime.engine.wait(task.id, timeout=30)
    done = runtime.engine.get(task.id)
    assert done is not None and done.status == st.COMPLETED, done and done.error
    assert done.result["purged"] == 1


# -- expire --------------------------------------------------------------------------------------


def test_expire_marks_old_queued_tasks_and_leaves_the_rest(make_runtime: MakeRuntime) -> None:
    runtime = make_runtime(recover=False)  # stored rows stay out of the engine
    old = stored(runtime, st.QUEUED, 7200)
    fresh = stored(runtime, st.QUEUED, 10)
    delayed = stored(runtime, st.DELAYED, 7200)
    finished = stored(runtime, st.COMPLETED, 7200)
    out = call(runtime, "tasker.housekeeping.expire")
    assert out["expired"] == 1 and out["ids"] == [old.id] and out["skipped"] == 0
    assert status_of(runtime, old) == st.EXPIRED
    logs: list[dict[str, Any]] = list(runtime.tasks.logs(old.id))
    assert logs[-1]["message"] == "expired: queued for more than 3600s"
    assert [status_of(runtime, t) for t in (fresh, delayed, finished)] == [
        st.QUEUED,
        st.DELAYED,
        st.COMPLETED,
    ]


def test_expire_takes_the_oldest_first_up_to_the_limit(make_runtime: MakeRuntime) -> None:
    runtime = make_runtime(recover=False)
    tasks = [stored(runtime, st.QUEUED, age) for age in (5000, 9000, 7000, 8000, 100)]
    out = call(runtime, "tasker.housekeeping.expire", max_age_seconds=3600, limit=2)
    assert out["ids"] == [tasks[1].id, tasks[3].id]
    out = call(runtime, "tasker.housekeeping.expire", max_age_seconds=3600, limit=2)
    assert out["ids"] == [tasks[2].id, tasks[0].id]
    assert call(runtime, "tasker.housekeeping.expire")["expired"] == 0
    assert status_of(runtime, tasks[4]) == st.QUEUED


def test_expire_stops_a_task_waiting_in_this_nodes_engine(make_runtime: MakeRuntime) -> None:
    runtime = make_runtime(start=False)
    # The node restarts with work left: the blocker takes the only worker, the stale task waits.
    hold = stored(runtime, st.QUEUED, 0, function="testing.blocker.hold")
    stale = stored(runtime, st.QUEUED, 7200)
    assert runtime.start() == 2
    live = runtime.engine.get(stale.id)
    assert live is not None and live.status == st.QUEUED

    out = call(runtime, "tasker.housekeeping.expire")

    assert out["ids"] == [stale.id]
    assert runtime.engine.get(stale.id).status == st.EXPIRED  # type: ignore[union-attr]
    assert runtime.engine.wait(stale.id, timeout=0)  # nothing of it is outstanding
    Blocker.release.set()
    assert runtime.engine.wait(hold.id, timeout=30)
    after = runtime.engine.submit("testing.blocker.noop")  # the worker has drained its queue
    assert runtime.engine.wait(after.id, timeout=30)
    assert Blocker.ran == ["noop"]  # only the one submitted after; the expired task never ran
    assert status_of(runtime, stale) == st.EXPIRED
    assert status_of(runtime, hold) == st.COMPLETED


def test_expire_leaves_running_tasks_alone(make_runtime: MakeRuntime) -> None:
    runtime = make_runtime(start=False)
    hold = stored(runtime, st.QUEUED, 7200, function="testing.blocker.hold")
    runtime.start()
    deadline = time.monotonic() + 30
    while status_of(runtime, hold) != st.RUNNING and time.monotonic() < deadline:
        time.sleep(0.01)
    assert status_of(runtime, hold) == st.RUNNING
    out = call(runtime, "tasker.housekeeping.expire")
    assert out["expired"] == 0
    Blocker.release.set()
    assert runtime.engine.wait(hold.id, timeout=30)
    assert status_of(runtime, hold) == st.COMPLETED


# -- reap ----------------------------------------------------------------------------------------


def test_reap_queues_again_a_task_left_running_by_a_gone_worker(runtime: Runtime) -> None:
    orphan = stored(runtime, st.RUNNING, 7200)
    orphan.started_at = time.time() - 7200
    runtime.tasks.insert_now(orphan, "running on a worker that died")
    fresh = stored(runtime, st.RUNNING, 10)
    fresh.started_at = time.time() - 10
    runtime.tasks.insert_now(fresh, "running, recently started")
    out = call(runtime, "tasker.housekeeping.reap", stale_after_seconds=3600)
    assert out["ids"] == [orphan.id]
    assert runtime.engine.wait(orphan.id, timeout=30)
    assert status_of(runtime, orphan) == st.COMPLETED
    assert status_of(runtime, fresh) == st.RUNNING  # too young to call its worker gone
    assert Blocker.ran == ["noop"]


def test_reap_leaves_a_task_running_in_this_node_alone(make_runtime: MakeRuntime) -> None:
    runtime = make_runtime()
    hold = runtime.engine.submit("testing.blocker.hold", {})
    deadline = time.monotonic() + 30
    while status_of(runtime, hold) != st.RUNNING and time.monotonic() < deadline:
        time.sleep(0.01)
    out = call(runtime, "tasker.housekeeping.reap", stale_after_seconds=0.001)
    assert out["requeued"] == 0
    Blocker.release.set()
    assert runtime.engine.wait(hold.id, timeout=30)
    assert status_of(runtime, hold) == st.COMPLETED


def test_expire_validates_its_arguments(runtime: Runtime) -> None:
    with pytest.raises(ValidationFailed, match="max_age_seconds"):
        call(runtime, "tasker.housekeeping.expire", max_age_seconds=0)
    with pytest.raises(ValidationFailed, match="limit"):
        call(runtime, "tasker.housekeeping.expire", limit=0)


# -- declaration ---------------------------------------------------------------------------------


def test_housekeeping_needs_a_node() -> None:
    from legion.extensions.tasker.runners.housekeeping import expire, purge

    with pytest.raises(UsageError, match="needs a running Legion node"):
        purge(ctx=Context(extension="tasker"))
    with pytest.raises(UsageError, match="needs a running Legion node"):
        expire(ctx=Context(extension="tasker"))


def test_actors_purge_daily_expire_and_reap_periodically_as_singletons() -> None:
    actors = {a.function: a for a in extension.actors}
    assert set(actors) == {"housekeeping.purge", "housekeeping.expire", "housekeeping.reap"}
    assert actors["housekeeping.purge"].interval == PURGE_EVERY == 86400
    assert actors["housekeeping.expire"].interval == EXPIRE_EVERY
    assert actors["housekeeping.reap"].interval == REAP_EVERY
    assert all(a.kind == "every" and a.singleton for a in actors.values())
