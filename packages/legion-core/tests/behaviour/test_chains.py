"""Chains: relationships with conditions, transformations, fan-out, parallel branches, delays,
depth limits and chain scoping — all evaluated in the worker that completed the trigger."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from legion.core.engine.task import Task
from legion.core.errors import UsageError
from legion.core.runtime import Runtime


def link(runtime: Runtime, trigger: str, action: str, **kw: Any) -> int:
    row = runtime.relationships.create(
        runtime.catalog.registry, trigger=trigger, action=action, **kw
    )
    runtime.reload_relationships()
    assert row.id is not None
    return row.id


def chain_of(runtime: Runtime, function: str, args: dict[str, Any], **kw: Any) -> list[Task]:
    """Run a trigger, wait for its whole chain, return every task of it (root first)."""
    root = runtime.engine.submit(function, args, **kw)
    assert runtime.engine.wait(root.id, 30), "chain did not finish"
    tasks, _ = runtime.tasks.query(limit=1000)
    mine = [t for t in tasks if t.id == root.id or t.master_id == root.id]
    return sorted(mine, key=lambda t: (t.depth, t.id))


def by_function(tasks: list[Task], function: str) -> list[Task]:
    return [t for t in tasks if t.function == function]


def test_condition_true_runs_the_follow_up_with_transformed_args(runtime: Runtime) -> None:
    link(
        runtime,
        "t.fn.add",
        "t.fn.echo",
        conditions={"all": [{"fact": "results.sum", "operator": "greater_than", "value": 2}]},
        transformation='{"value": {{ (results.sum * 10) | tojson }}}',
    )
    root, child = chain_of(runtime, "t.fn.add", {"a": 1, "b": 2})
    assert child.function == "t.fn.echo" and child.status == "completed"
    assert child.args == {"value": 30} and child.result == {"value": 30}
    assert child.parent_id == root.id and child.master_id == root.id and child.depth == 1


def test_condition_false_marks_conditioner_failed_with_explanation(runtime: Runtime) -> None:
    link(
        runtime,
        "t.fn.add",
        "t.fn.echo",
        conditions={"all": [{"fact": "results.sum", "operator": "greater_than", "value": 100}]},
    )
    _, child = chain_of(runtime, "t.fn.add", {"a": 1})
    assert child.status == "conditioner.failed"
    assert child.error is not None
    rule = child.error["explain"]["rules"][0]
    assert rule["actual"] == 1 and rule["result"] is False


def test_transformation_that_fails_validation_is_transformer_failed(runtime: Runtime) -> None:
    link(runtime, "t.fn.echo", "t.fn.add", transformation='{"a": "not a number", "zz": 1}')
    _, child = chain_of(runtime, "t.fn.echo", {"value": 1})
    assert child.status == "transformer.failed"
    assert child.error is not None
    fields = {d["field"] for d in child.error["details"]}
    assert {"a", "zz"} <= fields


def test_without_transformation_matching_result_keys_become_args(runtime: Runtime) -> None:
    link(runtime, "t.fn.listy", "t.fn.echo")  # each element {"value": i} feeds echo(value=i)
    link(runtime, "t.fn.add", "t.fn.echo")  # {"sum": …} matches no parameter: echo's default
    tasks = chain_of(runtime, "t.fn.listy", {"n": 2})
    assert sorted(t.result["value"] for t in by_function(tasks, "t.fn.echo")) == [0, 1]
    tasks = chain_of(runtime, "t.fn.add", {"a": 4})
    assert by_function(tasks, "t.fn.echo")[0].result == {"value": None}


def test_list_result_fans_out_one_task_per_element(runtime: Runtime) -> None:
    link(runtime, "t.fn.listy", "t.fn.echo", transformation='{"value": {{ results.value }}}')
    tasks = chain_of(runtime, "t.fn.listy", {"n": 5})
    echoes = by_function(tasks, "t.fn.echo")
    assert sorted(t.result["value"] for t in echoes) == [0, 1, 2, 3, 4]
    assert all(t.status == "completed" for t in echoes)


def test_transformation_rendering_a_list_fans_out(runtime: Runtime) -> None:
    link(
        runtime,
        "t.fn.add",
        "t.fn.echo",
        transformation='[{% for i in range(results.sum) %}{"value": {{ i }}}'
        "{% if not loop.last %},{% endif %}{% endfor %}]",
    )
    tasks = chain_of(runtime, "t.fn.add", {"a": 3})
    assert sorted(t.result["value"] for t in by_function(tasks, "t.fn.echo")) == [0, 1, 2]


def test_jsonpath_transformation(runtime: Runtime) -> None:
    link(runtime, "t.fn.listy", "t.fn.add", engine="jsonpath", transformation="$.payload.numbers")
    tasks = chain_of(runtime, "t.fn.listy", {"n": 2}, payload={"numbers": {"a": 7, "b": 8}})
    adds = by_function(tasks, "t.fn.add")
    assert [t.result for t in adds] == [{"sum": 15}, {"sum": 15}]


def test_parallel_branches_all_run(runtime: Runtime) -> None:
    link(runtime, "t.fn.add", "t.fn.echo", transformation='{"value": "left"}')
    link(runtime, "t.fn.add", "t.fn.echo", transformation='{"value": "right"}')
    link(runtime, "t.fn.add", "t.fn.noop")
    tasks = chain_of(runtime, "t.fn.add", {"a": 1})
    assert sorted(t.result["value"] for t in by_function(tasks, "t.fn.echo")) == ["left", "right"]
    assert by_function(tasks, "t.fn.noop")[0].status == "completed"


def test_three_step_chain_and_payload_travels(runtime: Runtime) -> None:
    link(runtime, "t.fn.add", "t.fn.echo", transformation='{"value": {{ payload.tag | tojson }}}')
    link(runtime, "t.fn.echo", "t.fn.add", transformation='{"a": {{ payload.n }}, "b": 1}')
    tasks = chain_of(runtime, "t.fn.add", {"a": 1}, payload={"tag": "x", "n": 41})
    assert [t.function for t in tasks][:3] == ["t.fn.add", "t.fn.echo", "t.fn.add"]
    assert tasks[1].result == {"value": "x"}
    # the second add would trigger echo again: a cycle, bounded below by max depth
    assert tasks[2].result == {"sum": 42}


def test_cycle_is_bounded_by_max_depth(make_runtime: Callable[..., Runtime]) -> None:
    runtime = make_runtime(**{"engine.max_depth": 5})
    link(runtime, "t.fn.noop", "t.fn.noop")
    tasks = chain_of(runtime, "t.fn.noop", {})
    assert max(t.depth for t in tasks) == 6
    last = tasks[-1]
    assert last.status == "failed" and last.error is not None
    assert "max chain depth 5 reached" in last.error["message"]
    assert sum(t.status == "completed" for t in tasks) == 6


def test_relationship_delay(runtime: Runtime) -> None:
    link(
        runtime, "t.fn.noop", "t.fn.mark", transformation='{"key": "delayed-follow-up"}', delay=0.4
    )
    start = time.time()
    tasks = chain_of(runtime, "t.fn.noop", {})
    child = by_function(tasks, "t.fn.mark")[0]
    assert child.status == "completed" and child.started_at is not None
    assert child.started_at - start >= 0.39
    assert "delayed" in [line["status"] for line in runtime.tasks.logs(child.id)]


def test_chain_scoping(runtime: Runtime) -> None:
    link(runtime, "t.fn.add", "t.fn.echo", transformation='{"value": "billing"}', chain="billing")
    link(runtime, "t.fn.echo", "t.fn.noop", chain="other")
    tasks = chain_of(runtime, "t.fn.add", {"a": 1})
    echo = by_function(tasks, "t.fn.echo")[0]
    assert echo.chain == "billing"
    assert by_function(tasks, "t.fn.noop") == []  # another chain's relationship does not fire


def test_inactive_relationship_does_not_fire(runtime: Runtime) -> None:
    rel = link(runtime, "t.fn.add", "t.fn.echo")
    runtime.relationships.set_active(rel, False)
    runtime.reload_relationships()
    assert len(chain_of(runtime, "t.fn.add", {"a": 1})) == 1


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"conditions": {"all": [{"fact": "x", "operator": "nope"}]}}, "unknown operator"),
        ({"conditions": {"every": []}}, "top level must be"),
        ({"transformation": "{{ results.x "}, "syntax"),
        ({"transformation": "$.[", "engine": "jsonpath"}, "jsonpath syntax error"),
        ({"delay": -1}, "delay must be >= 0"),
    ],
)
def test_bad_relationships_are_rejected_when_created(
    runtime: Runtime, kw: dict[str, Any], message: str
) -> None:
    with pytest.raises(UsageError, match=message):
        runtime.relationships.create(
            runtime.catalog.registry, trigger="t.fn.add", action="t.fn.echo", **kw
        )
    assert runtime.relationships.list() == []


def test_relationship_to_an_unknown_function_is_rejected(runtime: Runtime) -> None:
    with pytest.raises(UsageError, match="unknown function"):
        runtime.relationships.create(
            runtime.catalog.registry, trigger="t.fn.add", action="t.fn.missing"
        )
