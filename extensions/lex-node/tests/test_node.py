import os
import socket
import time
from collections.abc import Callable
from typing import Any

import pytest

from legion.core import __version__ as core_version
from legion.core.context import Context
from legion.core.errors import ConfigError, UsageError
from legion.core.runtime import Runtime
from legion.extensions.node import extension
from legion.extensions.node.config import INTERVAL
from legion.extensions.node.table import upsert

MakeRuntime = Callable[..., Runtime]


def call(runtime: Runtime, address: str, args: dict[str, Any] | None = None) -> Any:
    return runtime.catalog.registry.get(address).invoke(args or {})


def test_beat_writes_this_nodes_row_and_updates_it_in_place(runtime: Runtime) -> None:
    first = call(runtime, "node.heartbeat.beat")
    assert first["name"] == f"{socket.gethostname()}:{os.getpid()}"
    assert first["version"] == core_version
    assert first["mode"] == "lite" and first["pid"] == os.getpid()
    assert first["status"] == "running" and first["interval"] == INTERVAL
    second = call(runtime, "node.heartbeat.beat")
    assert second["last_seen"] >= first["last_seen"]
    assert second["started_at"] == first["started_at"]
    nodes = call(runtime, "node.registry.list")
    assert len(nodes) == 1
    assert nodes[0]["last_seen"] == second["last_seen"]
    assert nodes[0]["alive"] is True


def test_beat_publishes_a_node_heartbeat_event(runtime: Runtime) -> None:
    seen: list[tuple[str, dict[str, Any]]] = []
    runtime.engine.bus.subscribe("node.*", lambda key, body: seen.append((key, body)))
    reply = call(runtime, "node.heartbeat.beat")
    assert seen == [("node.heartbeat", reply)]


def test_the_name_setting_names_the_node(make_runtime: MakeRuntime) -> None:
    runtime = make_runtime(**{"lex.node.name": "edge-1"})
    assert call(runtime, "node.heartbeat.beat")["name"] == "edge-1"
    assert [n["name"] for n in call(runtime, "node.registry.list")] == ["edge-1"]


def test_nodes_sharing_a_database_see_each_other(make_runtime: MakeRuntime) -> None:
    a = make_runtime(**{"lex.node.name": "a"})
    b = make_runtime(**{"lex.node.name": "b"})
    call(a, "node.heartbeat.beat")
    call(b, "node.heartbeat.beat")
    assert [n["name"] for n in call(a, "node.registry.list")] == ["a", "b"]


def test_alive_means_a_heartbeat_within_three_intervals(make_runtime: MakeRuntime) -> None:
    runtime = make_runtime(**{"lex.node.interval": 5})
    now = time.time()
    for name, age in (("fresh", 1.0), ("edge", 14.0), ("stale", 16.0), ("gone", 3600.0)):
        upsert(
            runtime,
            {
                "name": name,
                "version": "0.1.0",
                "mode": "lite",
                "pid": 1,
                "status": "running",
                "started_at": now - 7200,
                "last_seen": now - age,
            },
        )
    nodes = {n["name"]: n for n in call(runtime, "node.registry.list")}
    assert {name: n["alive"] for name, n in nodes.items()} == {
        "edge": True,
        "fresh": True,
        "gone": False,
        "stale": False,
    }
    assert nodes["gone"]["last_seen_ago"] >= 3600
    alive = call(runtime, "node.registry.list", {"alive_only": True})
    assert sorted(n["name"] for n in alive) == ["edge", "fresh"]


def test_beat_runs_as_a_task_through_the_engine(runtime: Runtime) -> None:
    task = runtime.engine.submit("node.heartbeat.beat")
    assert runtime.engine.wait(task.id, timeout=30)
    done = runtime.engine.get(task.id)
    assert done is not None and done.status == "completed", done and done.error
    assert done.result["name"] == f"{socket.gethostname()}:{os.getpid()}"
    assert len(call(runtime, "node.registry.list")) == 1


def test_bad_settings_are_named(make_runtime: MakeRuntime) -> None:
    runtime = make_runtime(**{"lex.node.interval": 0})
    with pytest.raises(ConfigError, match=r"lex\.node\.interval"):
        call(runtime, "node.registry.list")
    runtime = make_runtime(**{"lex.node.name": ""})
    with pytest.raises(ConfigError, match=r"lex\.node\.name"):
        call(runtime, "node.heartbeat.beat")


def test_without_a_node_the_functions_say_so() -> None:
    from legion.extensions.node.runners.heartbeat import beat

    with pytest.raises(UsageError, match="needs a running Legion node"):
        beat(Context(extension="node"))


def test_the_extension_beats_on_an_every_actor() -> None:
    (actor,) = extension.actors
    assert actor.kind == "every" and actor.function == "heartbeat.beat"
    assert actor.interval == INTERVAL == extension.settings["interval"]
    assert actor.run_now is True and actor.singleton is False
