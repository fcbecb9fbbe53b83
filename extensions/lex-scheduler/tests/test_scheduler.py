"""lex-scheduler on real lite runtimes: SQLite under a temporary LEGION_HOME."""

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC
from pathlib import Path
from typing import Any, ClassVar

import pytest
from sqlalchemy import update

from legion.core.catalog import Catalog
from legion.core.engine.actors import ActorRunner
from legion.core.errors import NotFoundError, UsageError, ValidationFailed
from legion.core.extensions.discovery import ExtensionRecord
from legion.core.extensions.extension import Extension
from legion.core.logging import logger
from legion.core.registry import CapabilityRegistry
from legion.core.runtime import Runtime
from legion.core.settings import load_settings
from legion.core.store.models import ScheduleRow
from legion.core.transformations import TransformationError
from legion.extensions.scheduler import dispatch, extension
from legion.extensions.scheduler.store import ScheduleStore

TIMEOUT = 30.0


class Probe:
    """The function the schedules under test start."""

    calls: ClassVar[list[dict[str, Any]]] = []
    lock = threading.Lock()

    def record(self, n: int = 0, label: str = "") -> dict[str, Any]:
        with Probe.lock:
            Probe.calls.append({"n": n, "label": label})
        return {"n": n}


probe = Extension(name="probe", version="0", runners=[Probe])


def wait_until(check: Callable[[], bool], timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


MakeRuntime = Callable[..., Runtime]


@pytest.fixture
def make_runtime(tmp_path: Path) -> Iterator[MakeRuntime]:
    Probe.calls = []
    opened: list[Runtime] = []

    def make(**overrides: Any) -> Runtime:
        env = {"LEGION_HOME": str(tmp_path / "home"), "LEGION_SETTINGS_DIRS": "/nonexistent"}
        settings = load_settings(overrides, env=env)
        records = [
            ExtensionRecord("scheduler", "x", "lex-scheduler", "0", "loaded", extension=extension),
            ExtensionRecord("probe", "x", None, "0", "loaded", extension=probe),
        ]
        runtime = Runtime.open(
            settings, Catalog(settings, records, CapabilityRegistry.from_records(records))
        )
        runtime.start()
        opened.append(runtime)
        return runtime

    yield make
    for runtime in opened:
        runtime.stop()


@pytest.fixture
def runtime(make_runtime: MakeRuntime) -> Runtime:
    return make_runtime()


@pytest.fixture
def warnings() -> Iterator[list[str]]:
    seen: list[str] = []
    sink = logger.add(lambda m: seen.append(str(m.record["message"])), level="WARNING")
    yield seen
    logger.remove(sink)


def invoke(runtime: Runtime, address: str, **args: Any) -> Any:
    return runtime.catalog.registry.get(address).invoke(args)


def add(runtime: Runtime, **args: Any) -> dict[str, Any]:
    result: dict[str, Any] = invoke(runtime, "scheduler.schedule.add", **args)
    return result


def backdate(runtime: Runtime, name: str, seconds: float) -> float:
    """Pretend no scheduler ran for `seconds`: the schedule fell due that long ago."""
    due = time.time() - seconds
    with runtime.db.begin() as conn:
        conn.execute(
            update(ScheduleRow)
            .where(ScheduleRow.name == name)  # type: ignore[arg-type]
            .values(next_run=due, last_run=due - 10)
        )
    return due


def probe_tasks(runtime: Runtime) -> list[Any]:
    runtime.tasks.flush()
    tasks, _ = runtime.tasks.query(function="probe.probe.record", limit=1000)
    return tasks


# -- add / list / remove ------------------------------------------------------------------------
def test_add_list_remove(runtime: Runtime) -> None:
    before = time.time()
    added = add(runtime, name="nightly", function="probe.probe.record", cron="0 3 * * *")
    assert added["name"] == "nightly" and added["cron"] == "0 3 * * *"
    assert added["next_run"] > before and added["last_run"] is None
    add(runtime, name="often", function="probe.probe.record", every=60, args={"n": 2})
    listed = invoke(runtime, "scheduler.schedule.list")
    assert [s["name"] for s in listed] == ["nightly", "often"]
    assert listed[1]["interval"] == 60 and listed[1]["args"] == {"n": 2}
    assert invoke(runtime, "scheduler.schedule.remove", name="nightly") == {"removed": "nightly"}
    assert [s["name"] for s in invoke(runtime, "scheduler.schedule.list")] == ["often"]
    with pytest.raises(NotFoundError, match="nightly"):
        invoke(runtime, "scheduler.schedule.remove", name="nightly")


def test_a_bad_cron_expression_is_rejected_by_name(runtime: Runtime) -> None:
    with pytest.raises(UsageError, match=r"cron expression '61 \* \* \* \*'"):
        add(runtime, name="bad", function="probe.probe.record", cron="61 * * * *")
    assert invoke(runtime, "scheduler.schedule.list") == []


@pytest.mark.parametrize(
    ("args", "error", "match"),
    [
        ({"function": "probe.probe.nope", "every": 5}, NotFoundError, "probe.probe.nope"),
        ({"function": "probe.probe.record"}, UsageError, "exactly one of cron or every"),
        (
            {"function": "probe.probe.record", "every": 5, "cron": "* * * * *"},
            UsageError,
            "exactly one",
        ),
        ({"function": "probe.probe.record", "every": 0}, UsageError, "every must be > 0"),
        ({"function": "probe.probe.record", "every": -1}, UsageError, "every must be > 0"),
        (
            {"function": "probe.probe.record", "every": 5, "args": {"n": "x"}},
            ValidationFailed,
            None,
        ),
        (
            {"function": "probe.probe.record", "every": 5, "args": {"m": 1}},
            ValidationFailed,
            None,
        ),
        (
            {"function": "probe.probe.record", "every": 5, "transformation": "{{ oops"},
            TransformationError,
            None,
        ),
        (
            {"function": "probe.probe.record", "every": 5, "transformation": '{"n": "many"}'},
            TransformationError,
            "not valid arguments",
        ),
        (
            {
                "function": "probe.probe.record",
                "every": 5,
                "transformation": "$.x",
                "engine": "nope",
            },
            TransformationError,
            "nope",
        ),
    ],
)
def test_invalid_schedules_are_rejected(
    runtime: Runtime, args: dict[str, Any], error: type[Exception], match: str | None
) -> None:
    with pytest.raises(error, match=match):
        add(runtime, name="s", **args)
    assert invoke(runtime, "scheduler.schedule.list") == []


def test_names_are_unique_and_bounded(runtime: Runtime) -> None:
    add(runtime, name="s", function="probe.probe.record", every=5)
    with pytest.raises(UsageError, match="already exists"):
        add(runtime, name="s", function="probe.probe.record", every=5)
    with pytest.raises(UsageError, match="1 to 100"):
        add(runtime, name="x" * 101, function="probe.probe.record", every=5)


# -- dispatching --------------------------------------------------------------------------------
def test_an_interval_schedule_fires_and_creates_tasks(runtime: Runtime) -> None:
    add(runtime, name="fast", function="probe.probe.record", every=0.05, args={"n": 7})
    dispatched: list[dict[str, Any]] = []

    def tick() -> bool:
        dispatched.extend(invoke(runtime, "scheduler.schedule.tick")["dispatched"])
        return len(dispatched) >= 2

    wait_until(tick)
    assert {d["schedule"] for d in dispatched} == {"fast"}
    ids = [i for d in dispatched for i in d["task_ids"]]
    for task_id in ids:
        assert runtime.engine.wait(task_id, TIMEOUT)
    tasks = {t.id: t for t in probe_tasks(runtime)}
    assert set(ids) <= set(tasks)
    assert all(tasks[i].args == {"n": 7} and tasks[i].status == "completed" for i in ids)
    row = ScheduleStore(runtime.db).get("fast")
    assert row.last_run is not None and row.next_run is not None and row.next_run > row.last_run


def test_nothing_is_dispatched_before_it_is_due(runtime: Runtime) -> None:
    add(runtime, name="later", function="probe.probe.record", every=3600)
    assert invoke(runtime, "scheduler.schedule.tick") == {"dispatched": []}


def test_a_cron_schedule_fires_when_due(runtime: Runtime) -> None:
    add(runtime, name="everysecond", function="probe.probe.record", cron="* * * * * *")
    row = ScheduleStore(runtime.db).get("everysecond")
    assert row.next_run is not None
    out = dispatch.tick(runtime, UTC, now=row.next_run + 0.1)
    assert [d["schedule"] for d in out["dispatched"]] == ["everysecond"]
    assert "skipped" not in out["dispatched"][0]
    after = ScheduleStore(runtime.db).get("everysecond")
    assert after.next_run == row.next_run + 1


@pytest.mark.parametrize("timing", [{"every": 10}, {"cron": "* * * * *"}])
def test_missed_runs_after_downtime_run_once_and_the_skip_is_logged(
    runtime: Runtime, warnings: list[str], timing: dict[str, Any]
) -> None:
    add(runtime, name="missed", function="probe.probe.record", **timing)
    backdate(runtime, "missed", 1000)
    out = invoke(runtime, "scheduler.schedule.tick")
    (entry,) = out["dispatched"]
    assert len(entry["task_ids"]) == 1
    expected = 100 if "every" in timing else 16  # 1000 s of 10 s slots, or of minutes
    assert expected <= entry["skipped"] <= expected + 1
    assert any("missed" in w and "ran once" in w for w in warnings)
    row = ScheduleStore(runtime.db).get("missed")
    assert row.next_run is not None and row.next_run > time.time() - 1
    # The next tick does not catch up either.
    assert invoke(runtime, "scheduler.schedule.tick") == {"dispatched": []}


def test_a_transformation_renders_the_arguments(runtime: Runtime) -> None:
    add(
        runtime,
        name="rendered",
        function="probe.probe.record",
        every=5,
        payload={"count": 3},
        transformation='{"n": {{ payload.count }}, "label": {{ schedule.name | tojson }}}',
    )
    backdate(runtime, "rendered", 1)
    (entry,) = invoke(runtime, "scheduler.schedule.tick")["dispatched"]
    (task_id,) = entry["task_ids"]
    assert runtime.engine.wait(task_id, TIMEOUT)
    task = runtime.engine.get(task_id)
    assert task is not None and task.status == "completed"
    assert task.args == {"n": 3, "label": "rendered"}
    assert task.payload == {"count": 3}


def test_a_transformation_rendering_a_list_fans_out(runtime: Runtime) -> None:
    add(
        runtime,
        name="fan",
        function="probe.probe.record",
        every=5,
        payload={"items": [1, 2, 3]},
        transformation="[{% for i in payload['items'] %}"
        '{"n": {{ i }}}{{ "," if not loop.last }}{% endfor %}]',
    )
    backdate(runtime, "fan", 1)
    (entry,) = invoke(runtime, "scheduler.schedule.tick")["dispatched"]
    assert len(entry["task_ids"]) == 3
    for task_id in entry["task_ids"]:
        assert runtime.engine.wait(task_id, TIMEOUT)
    assert sorted(c["n"] for c in Probe.calls) == [1, 2, 3]


def test_a_schedule_whose_function_went_away_is_reported_and_moved_on(
    runtime: Runtime,
) -> None:
    add(runtime, name="gone", function="probe.probe.record", every=5)
    backdate(runtime, "gone", 1)
    runtime.catalog.registry.remove("probe")
    (entry,) = invoke(runtime, "scheduler.schedule.tick")["dispatched"]
    assert "probe.probe.record" in entry["error"]
    assert invoke(runtime, "scheduler.schedule.tick") == {"dispatched": []}


def test_a_due_run_is_claimed_once(runtime: Runtime) -> None:
    add(runtime, name="c", function="probe.probe.record", every=5)
    store = ScheduleStore(runtime.db)
    due = store.get("c").next_run
    assert due is not None
    assert store.claim("c", due, last_run=due, next_run=due + 5)
    assert not store.claim("c", due, last_run=due, next_run=due + 5)


# -- the tick actor -----------------------------------------------------------------------------
def tick_actor(runner: ActorRunner) -> dict[str, Any]:
    return next(a for a in runner.describe() if a["address"] == "scheduler.schedule.tick")


def test_the_tick_actor_runs_schedules(make_runtime: MakeRuntime) -> None:
    runtime = make_runtime()
    add(runtime, name="fast", function="probe.probe.record", every=0.2, args={"n": 1})
    runner = ActorRunner(runtime)
    runner.start()
    try:
        wait_until(lambda: len(probe_tasks(runtime)) >= 2)
        actor = tick_actor(runner)
        assert actor["kind"] == "every" and actor["interval"] == 1
        assert actor["singleton"] is True and actor["runs"] >= 2
    finally:
        runner.stop()


def test_only_one_of_two_nodes_runs_the_tick(make_runtime: MakeRuntime) -> None:
    first, second = make_runtime(), make_runtime()  # two runtimes on the same home
    add(first, name="fast", function="probe.probe.record", every=0.2)
    runners = [ActorRunner(first), ActorRunner(second)]
    for runner in runners:
        runner.start()
    try:
        wait_until(lambda: max(tick_actor(r)["runs"] for r in runners) >= 3)
        leader = max(runners, key=lambda r: tick_actor(r)["runs"])
        (idle,) = (r for r in runners if r is not leader)
        wait_until(lambda: tick_actor(idle)["skipped"] >= 3)
        assert tick_actor(idle)["runs"] == 0
        assert tick_actor(idle)["state"] == "standby"
        assert tick_actor(leader)["runs"] >= 3
    finally:
        for runner in runners:
            runner.stop()


def test_leader_lock_can_be_turned_off(make_runtime: MakeRuntime) -> None:
    runtime = make_runtime(**{"lex.scheduler.leader_lock": False})
    runner = ActorRunner(runtime)
    assert tick_actor(runner)["singleton"] is False
    assert tick_actor(ActorRunner(make_runtime()))["singleton"] is True
