import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

from legion.core.catalog import Catalog
from legion.core.engine import task as st
from legion.core.engine.actors import ActorRunner, flatten, poll_diff
from legion.core.extensions.actors import Actor, every, loop, nothing, once, poll, subscription
from legion.core.extensions.discovery import ExtensionRecord
from legion.core.extensions.extension import Extension
from legion.core.registry import CapabilityRegistry
from legion.core.runtime import Runtime
from legion.core.settings import load_settings

TIMEOUT = 20.0


def wait_until(check: Callable[[], bool], timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)


class Probe:
    """A runner whose functions record what happened, for one test at a time."""

    calls: ClassVar[list[str]] = []
    seen: ClassVar[list[dict[str, Any]]] = []
    gate = threading.Event()
    active = 0
    most_active = 0
    value = 0
    lock = threading.Lock()

    def tick(self) -> dict[str, Any]:
        with Probe.lock:
            Probe.calls.append("tick")
        return {"ok": True}

    def slow(self) -> str:
        with Probe.lock:
            Probe.active += 1
            Probe.most_active = max(Probe.most_active, Probe.active)
            Probe.calls.append("slow")
        Probe.gate.wait(TIMEOUT)
        with Probe.lock:
            Probe.active -= 1
        return "done"

    def fail(self) -> None:
        with Probe.lock:
            Probe.calls.append("fail")
        raise RuntimeError("always fails")

    def state(self) -> dict[str, Any]:
        with Probe.lock:
            Probe.calls.append("state")
            Probe.value += 1
        return {"count": Probe.value // 2, "fixed": {"a": 1}}

    def record(self, changed: bool, diff: dict[str, Any], result: Any = None) -> None:
        with Probe.lock:
            Probe.seen.append({"changed": changed, "diff": diff, "result": result})

    def quiet(self) -> None:
        """Declared with `nothing`: only ever invoked."""


@pytest.fixture(autouse=True)
def fresh_probe() -> Iterator[None]:
    Probe.calls, Probe.seen = [], []
    Probe.gate = threading.Event()
    Probe.active = Probe.most_active = Probe.value = 0
    yield
    Probe.gate.set()


def open_runtime(home: Path, actors: list[Actor], lex: dict[str, Any] | None = None) -> Runtime:
    extension = Extension(name="probe", version="0", runners=[Probe], actors=actors)
    overrides = {f"lex.probe.{k}": v for k, v in (lex or {}).items()}
    settings = load_settings(
        overrides, env={"LEGION_HOME": str(home), "LEGION_SETTINGS_DIRS": "/nonexistent"}
    )
    record = ExtensionRecord("probe", "tests:probe", None, "0", "loaded", extension=extension)
    catalog = Catalog(settings, [record], CapabilityRegistry.from_records([record]))
    runtime = Runtime.open(settings, catalog)
    runtime.start()
    return runtime


@pytest.fixture
def runtimes(tmp_path: Path) -> Iterator[list[tuple[Runtime, ActorRunner]]]:
    opened: list[tuple[Runtime, ActorRunner]] = []
    yield opened
    Probe.gate.set()
    for runtime, runner in opened:
        runner.stop()
        runtime.stop()


def start(
    opened: list[tuple[Runtime, ActorRunner]],
    home: Path,
    actors: list[Actor],
    lex: dict[str, Any] | None = None,
    **kw: Any,
) -> ActorRunner:
    runtime = open_runtime(home, actors, lex)
    runner = ActorRunner(runtime, **kw)
    opened.append((runtime, runner))
    runner.start()
    return runner


def info(runner: ActorRunner, address: str) -> dict[str, Any]:
    return next(a for a in runner.describe() if a["address"] == address)


def test_every_runs_repeatedly_as_real_tasks(tmp_path: Path, runtimes: list[Any]) -> None:
    runner = start(runtimes, tmp_path, [every("probe.tick", 0.02, run_now=True)])
    wait_until(lambda: info(runner, "probe.probe.tick")["runs"] >= 3)
    described = info(runner, "probe.probe.tick")
    assert set(described) == {
        "address",
        "kind",
        "interval",
        "singleton",
        "state",
        "last_task_id",
        "runs",
        "skipped",
    }
    assert described["kind"] == "every" and described["interval"] == 0.02
    runtime = runtimes[0][0]
    task = runtime.engine.get(described["last_task_id"])
    assert task is not None and task.function == "probe.probe.tick"
    runner.stop()
    runtime.tasks.flush()
    assert runtime.tasks.get(described["last_task_id"]) is not None
    assert info(runner, "probe.probe.tick")["state"] == "stopped"


def test_every_never_overlaps_itself(tmp_path: Path, runtimes: list[Any]) -> None:
    runner = start(runtimes, tmp_path, [every("probe.slow", 0.01, run_now=True)])
    wait_until(lambda: info(runner, "probe.probe.slow")["skipped"] >= 3)
    described = info(runner, "probe.probe.slow")
    assert described["runs"] == 1 and described["state"] == "running"
    Probe.gate.set()
    wait_until(lambda: info(runner, "probe.probe.slow")["runs"] >= 2)
    assert Probe.most_active == 1


def test_once_runs_a_single_time(tmp_path: Path, runtimes: list[Any]) -> None:
    runner = start(runtimes, tmp_path, [once("probe.tick", delay=0.01), every("probe.state", 0.01)])
    wait_until(lambda: info(runner, "probe.probe.state")["runs"] >= 5)
    assert Probe.calls.count("tick") == 1
    described = info(runner, "probe.probe.tick")
    assert described["runs"] == 1 and described["state"] == "done"


def test_loop_runs_again_when_the_previous_run_ends(tmp_path: Path, runtimes: list[Any]) -> None:
    runner = start(runtimes, tmp_path, [loop("probe.tick")])
    wait_until(lambda: Probe.calls.count("tick") >= 5)
    runner.stop()
    runtimes[0][0].engine.stop()  # let a run in flight finish
    after = Probe.calls.count("tick")
    time.sleep(0.1)
    assert Probe.calls.count("tick") == after
    assert info(runner, "probe.probe.tick")["state"] == "stopped"


def test_a_failing_loop_backs_off_instead_of_spinning(tmp_path: Path, runtimes: list[Any]) -> None:
    runner = start(
        runtimes, tmp_path, [loop("probe.fail")], loop_backoff=0.05, loop_backoff_max=0.2
    )
    wait_until(lambda: Probe.calls.count("fail") >= 3)
    time.sleep(0.3)
    # A spinning loop would have run thousands of times; backing off runs a handful.
    assert Probe.calls.count("fail") < 50
    runtime = runtimes[0][0]
    last = runtime.engine.get(info(runner, "probe.probe.fail")["last_task_id"])
    assert last is not None


def test_loop_does_not_overlap(tmp_path: Path, runtimes: list[Any]) -> None:
    runner = start(runtimes, tmp_path, [loop("probe.slow")])
    wait_until(lambda: Probe.active == 1)
    time.sleep(0.05)
    assert info(runner, "probe.probe.slow")["runs"] == 1
    Probe.gate.set()
    wait_until(lambda: info(runner, "probe.probe.slow")["runs"] >= 3)
    assert Probe.most_active == 1


def test_poll_follow_ups_receive_the_diff(tmp_path: Path, runtimes: list[Any]) -> None:
    runtime = open_runtime(tmp_path, [poll("probe.state", 0.02)])
    runner = ActorRunner(runtime)
    runtimes.append((runtime, runner))
    runtime.relationships.create(
        runtime.catalog.registry, trigger="probe.probe.state", action="probe.probe.record"
    )
    runtime.reload_relationships()
    runner.start()
    wait_until(lambda: len(Probe.seen) >= 4)
    runner.stop()
    first, second = Probe.seen[0], Probe.seen[1]
    assert first["changed"] is True
    assert first["diff"]["added"] == {"count": 0, "fixed.a": 1}
    assert first["result"] == {"count": 0, "fixed": {"a": 1}}
    # Results go 0, 1, 1, 2, 2, ...: every second poll changes `count`, `fixed` never does.
    assert second["changed"] is True
    assert second["diff"] == {
        "added": {},
        "removed": {},
        "changed": {"count": {"old": 0, "new": 1}},
    }
    assert Probe.seen[2]["changed"] is False
    assert Probe.seen[2]["diff"]["changed"] == {}
    # The stored result is what the function returned, not the diff.
    task = runtime.engine.get(info(runner, "probe.probe.state")["last_task_id"])
    assert task is not None and "count" in task.result


def test_subscription_and_nothing_are_described_but_never_triggered(
    tmp_path: Path, runtimes: list[Any]
) -> None:
    runner = start(runtimes, tmp_path, [subscription("probe.tick"), nothing("probe.quiet")])
    states = {a["address"]: (a["kind"], a["state"], a["runs"]) for a in runner.describe()}
    assert states == {
        "probe.probe.tick": ("subscription", "active", 0),
        "probe.probe.quiet": ("nothing", "idle", 0),
    }
    assert runner._thread is None  # nothing to time: no thread
    runner.stop()
    assert {a["state"] for a in runner.describe()} == {"stopped"}


def test_a_singleton_runs_on_one_node_and_moves_when_it_stops(
    tmp_path: Path, runtimes: list[Any]
) -> None:
    actors = [every("probe.tick", 0.02, run_now=True, singleton=True)]
    first = start(runtimes, tmp_path, actors)
    wait_until(lambda: info(first, "probe.probe.tick")["runs"] >= 1)
    second = start(runtimes, tmp_path, actors)
    wait_until(lambda: info(second, "probe.probe.tick")["skipped"] >= 3)
    assert info(second, "probe.probe.tick")["runs"] == 0
    assert info(second, "probe.probe.tick")["state"] == "standby"
    assert info(first, "probe.probe.tick")["runs"] >= 2
    assert info(first, "probe.probe.tick")["singleton"] is True
    first.stop()  # releases the lock: the other node takes over
    wait_until(lambda: info(second, "probe.probe.tick")["runs"] >= 2)


def test_leader_lock_false_turns_the_singleton_lock_off(
    tmp_path: Path, runtimes: list[Any]
) -> None:
    actors = [every("probe.tick", 0.02, run_now=True, singleton=True)]
    first = start(runtimes, tmp_path, actors, lex={"leader_lock": False})
    second = start(runtimes, tmp_path, actors, lex={"leader_lock": False})
    wait_until(lambda: info(first, "probe.probe.tick")["runs"] >= 2)
    wait_until(lambda: info(second, "probe.probe.tick")["runs"] >= 2)
    assert info(first, "probe.probe.tick")["singleton"] is False


def test_stop_is_idempotent_and_start_again_works(tmp_path: Path, runtimes: list[Any]) -> None:
    runner = start(runtimes, tmp_path, [every("probe.tick", 0.02, run_now=True)])
    runner.stop()
    runner.stop()
    runs = info(runner, "probe.probe.tick")["runs"]
    runner.start()
    wait_until(lambda: info(runner, "probe.probe.tick")["runs"] > runs)


def test_result_hook_maps_what_follow_ups_see(tmp_path: Path, runtimes: list[Any]) -> None:
    runtime = open_runtime(tmp_path, [])
    runtimes.append((runtime, ActorRunner(runtime)))
    runtime.relationships.create(
        runtime.catalog.registry, trigger="probe.probe.tick", action="probe.probe.record"
    )
    runtime.reload_relationships()
    task = runtime.engine.submit(
        "probe.probe.tick",
        result_hook=lambda r: {"changed": True, "diff": {"from": r}},
    )
    assert runtime.engine.wait(task.id, TIMEOUT)
    assert task.status == st.COMPLETED and task.result == {"ok": True}
    assert Probe.seen == [{"changed": True, "diff": {"from": {"ok": True}}, "result": None}]


# -- the diff itself ----------------------------------------------------------------------------
def test_flatten_uses_dotted_paths() -> None:
    assert flatten({"a": {"b": 1, "c": [1, {"d": 2}]}, "e": {}, "f": []}) == {
        "a.b": 1,
        "a.c.0": 1,
        "a.c.1.d": 2,
        "e": {},
        "f": [],
    }


def test_poll_diff_of_dicts() -> None:
    first = poll_diff(None, {"a": 1}, has_previous=False)
    assert first == {
        "changed": True,
        "diff": {"added": {"a": 1}, "removed": {}, "changed": {}},
        "result": {"a": 1},
    }
    diff = poll_diff({"a": 1, "b": {"c": 2}}, {"a": 2, "d": 3}, has_previous=True)
    assert diff["changed"] is True
    assert diff["diff"] == {
        "added": {"d": 3},
        "removed": {"b.c": 2},
        "changed": {"a": {"old": 1, "new": 2}},
    }
    same = poll_diff({"a": 1}, {"a": 1}, has_previous=True)
    assert same["changed"] is False


def test_poll_diff_of_other_values_is_before_and_after() -> None:
    assert poll_diff(None, [1], has_previous=False) == {
        "changed": True,
        "diff": {"old": None, "new": [1]},
        "result": [1],
    }
    assert poll_diff([1], [1], has_previous=True)["changed"] is False
    assert poll_diff({"a": 1}, 5, has_previous=True)["diff"] == {"old": {"a": 1}, "new": 5}
