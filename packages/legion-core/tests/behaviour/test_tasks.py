"""A single task: its statuses, persistence, retries, limits, cancel and idempotency."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from legion.core.engine.task import Task
from legion.core.errors import NotFoundError, UsageError, ValidationFailed
from legion.core.runtime import Runtime


def run(runtime: Runtime, function: str, args: dict[str, Any] | None = None, **kw: Any) -> Task:
    task = runtime.engine.submit(function, args or {}, **kw)
    assert runtime.engine.wait(task.id, 20), f"{function} did not finish"
    stored = runtime.tasks.get(task.id)
    assert stored is not None
    return stored


def test_completed_task_is_persisted_with_its_log(runtime: Runtime) -> None:
    task = run(runtime, "t.fn.add", {"a": 2, "b": "3"})
    assert task.status == "completed"
    assert task.result == {"sum": 5}
    assert task.args == {"a": 2, "b": "3"}
    assert task.attempts == 1 and task.started_at and task.finished_at
    assert [line["status"] for line in runtime.tasks.logs(task.id)] == [
        "queued",
        "running",
        "completed",
    ]


def test_every_status_change_is_an_event(runtime: Runtime) -> None:
    seen: list[tuple[str, str]] = []
    runtime.engine.bus.subscribe("task.*", lambda key, body: seen.append((key, body["id"])))
    task = run(runtime, "t.fn.noop")
    assert [k for k, i in seen if i == task.id] == ["task.queued", "task.running", "task.completed"]


def test_unknown_function_and_bad_args_are_rejected_up_front(runtime: Runtime) -> None:
    with pytest.raises(NotFoundError):
        runtime.engine.submit("t.fn.nope", {})
    with pytest.raises(ValidationFailed) as info:
        runtime.engine.submit("t.fn.add", {"a": "x", "c": 1})
    assert {d["field"] for d in info.value.details} == {"a", "c"}


def test_payload_over_the_limit_is_rejected(make_runtime: Callable[..., Runtime]) -> None:
    runtime = make_runtime(**{"engine.max_payload_bytes": 2048})
    with pytest.raises(UsageError, match="over the 2048-byte limit"):
        runtime.engine.submit("t.fn.echo", {"value": "x" * 5000})


def test_failure_is_recorded_with_traceback(runtime: Runtime) -> None:
    task = run(runtime, "t.fn.flaky", {"key": uuid.uuid4().hex, "failures": 5})
    assert task.status == "failed"
    assert task.error is not None and task.error["type"] == "RuntimeError"
    assert "failure 1 of" in task.error["message"]
    assert "Traceback" in task.error["traceback"]


def test_retries_with_backoff_then_success(runtime: Runtime) -> None:
    key = uuid.uuid4().hex
    task = run(runtime, "t.fn.flaky_retried", {"key": key, "failures": 2})
    assert task.status == "completed" and task.attempts == 3
    messages = [line["message"] or "" for line in runtime.tasks.logs(task.id)]
    assert sum(m.startswith("retry ") for m in messages) == 2


def test_retries_exhausted_dead_letter_is_failed(runtime: Runtime) -> None:
    task = run(runtime, "t.fn.flaky_retried", {"key": uuid.uuid4().hex, "failures": 10})
    assert task.status == "failed" and task.attempts == 4
    assert task.error is not None and task.error["attempts"] == 4


def test_engine_wide_retries_setting(make_runtime: Callable[..., Runtime]) -> None:
    runtime = make_runtime(**{"engine.retries": 1})
    task = run(runtime, "t.fn.flaky", {"key": uuid.uuid4().hex, "failures": 1})
    assert task.status == "completed" and task.attempts == 2


def test_time_limit_interrupts_the_task(runtime: Runtime) -> None:
    task = run(runtime, "t.fn.sleepy", {"seconds": 30})
    assert task.status == "failed"
    assert task.error is not None and "time limit of 0.3s exceeded" in task.error["message"]


def test_result_that_is_not_json_fails_the_task(runtime: Runtime) -> None:
    task = run(runtime, "t.fn.nonjson")
    assert task.status == "failed"
    assert task.error is not None and task.error["type"] == "ResultNotJSON"


def test_cancel_a_delayed_task(runtime: Runtime) -> None:
    task = runtime.engine.submit("t.fn.mark", {"key": "never"}, delay=30)
    assert runtime.tasks.get(task.id).status == "delayed"  # type: ignore[union-attr]
    runtime.engine.cancel(task.id)
    assert runtime.engine.wait(task.id, 5)
    assert runtime.tasks.get(task.id).status == "cancelled"  # type: ignore[union-attr]
    with pytest.raises(UsageError, match="only queued or delayed"):
        runtime.engine.cancel(task.id)


def test_cancel_unknown_task(runtime: Runtime) -> None:
    with pytest.raises(NotFoundError):
        runtime.engine.cancel("0" * 32)


def test_delay_runs_later(runtime: Runtime) -> None:
    task = runtime.engine.submit("t.fn.noop", {}, delay=0.3)
    assert runtime.engine.wait(task.id, 10)
    stored = runtime.tasks.get(task.id)
    assert stored is not None and stored.status == "completed"
    assert stored.started_at is not None and stored.started_at >= task.created_at + 0.29


def test_idempotency_key_runs_once(runtime: Runtime) -> None:
    key = uuid.uuid4().hex
    first = run(runtime, "t.fn.flaky", {"key": key, "failures": 0}, idempotency_key="k-" + key)
    again = runtime.engine.submit(
        "t.fn.flaky", {"key": key, "failures": 0}, idempotency_key="k-" + key
    )
    assert again.id == first.id
    assert first.result == {"calls": 1}
    tasks, _ = runtime.tasks.query(function="t.fn.flaky", limit=1000)
    assert [t.id for t in tasks if t.args.get("key") == key] == [first.id]


def test_queued_tasks_survive_until_a_node_starts(make_runtime: Callable[..., Runtime]) -> None:
    offline = make_runtime(start=False)
    task = offline.engine.prepare("t.fn.add", {"a": 1})
    offline.tasks.insert_now(task, "queued without a node")
    node = make_runtime()
    assert node.engine.wait(task.id, 10)
    stored = node.tasks.get(task.id)
    assert stored is not None and stored.status == "completed" and stored.result == {"sum": 1}


def test_context_is_injected_and_not_in_the_schema(runtime: Runtime) -> None:
    cap = runtime.catalog.registry.get("t.fn.whoami")
    assert cap.input_schema.get("properties", {}) == {}
    task = run(runtime, "t.fn.whoami")
    assert task.result == {"extension": "t", "task_id": task.id, "greeting": "hi"}


def test_unrecorded_runs_publish_events_but_write_nothing(runtime: Runtime) -> None:
    seen: list[str] = []
    runtime.engine.bus.subscribe("task.#", lambda key, body: seen.append(key))
    task = runtime.engine.submit("t.fn.add", {"a": 1}, record=False)
    assert runtime.engine.wait(task.id, 10)
    assert task.status == "completed" and task.result == {"sum": 1}
    assert seen == ["task.queued", "task.running", "task.completed"]
    assert runtime.tasks.get(task.id) is None
    assert runtime.tasks.logs(task.id) == []
