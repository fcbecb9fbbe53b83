"""The legion.* tools: backend operations by name, honest annotations, run_task and do."""

from __future__ import annotations

from typing import Any

import anyio
from fastmcp import Client

from legion.mcp.server import build_server

READ_ONLY = {
    "legion.describe_runner",
    "legion.list_tasks",
    "legion.get_task",
    "legion.get_task_logs",
    "legion.list_chains",
    "legion.list_relationships",
    "legion.list_schedules",
    "legion.list_extensions",
    "legion.get_extension",
    "legion.get_status",
    "legion.get_config",
    "legion.rbac_check",
}
DESTRUCTIVE = {
    "legion.run_task",
    "legion.cancel_task",
    "legion.delete_chain",
    "legion.delete_relationship",
    "legion.delete_schedule",
    "legion.disable_extension",
    "legion.update_relationship",
    "legion.update_schedule",
    "legion.do",
}


def call(backend: Any, name: str, args: dict[str, Any]) -> Any:
    async def main() -> Any:
        async with Client(build_server(backend)) as client:
            return await client.call_tool(name, args, raise_on_error=False)

    return anyio.run(main)


def test_annotations_say_what_each_tool_changes(backend: Any) -> None:
    async def main() -> Any:
        async with Client(build_server(backend)) as client:
            return await client.list_tools()

    tools = {t.name: t for t in anyio.run(main) if t.name.startswith("legion.")}
    assert len(tools) == 26
    for name, tool in tools.items():
        notes = tool.annotations
        assert notes is not None
        assert bool(notes.read_only_hint) == (name in READ_ONLY), name
        if name not in READ_ONLY:
            assert notes.destructive_hint == (name in DESTRUCTIVE), name


def test_management_tools_call_the_named_operations(backend: Any) -> None:
    call(backend, "legion.list_tasks", {"status": "failed", "limit": 5})
    schedule = {"name": "n", "function": "clock.clock.tick", "every": 5}
    call(backend, "legion.create_schedule", schedule)
    call(backend, "legion.update_chain", {"name": "c", "active": False})
    call(backend, "legion.get_config", {})
    ops = dict(backend.calls)
    assert ops["task.list"] == {"status": "failed", "function": None, "limit": 5, "offset": 0}
    assert ops["schedule.create"]["every"] == 5
    assert ops["chain.update"] == {"name": "c", "active": False}
    assert "config.show" in ops


def test_bad_arguments_to_a_management_tool_are_an_error_result(backend: Any) -> None:
    result = call(backend, "legion.list_tasks", {"limit": 0})
    assert result.is_error and "limit" in result.content[0].text


def test_run_task_validates_against_the_function_schema(backend: Any) -> None:
    result = call(backend, "legion.run_task", {"task": "echo.echo.echo", "params": {"txt": 1}})
    assert result.is_error
    assert "txt: unexpected argument" in result.content[0].text
    ok = call(backend, "legion.run_task", {"task": "echo.echo.echo", "params": {"text": "x"}})
    assert ok.structured_content["result"] == {"text": "x"}


def test_run_task_of_an_unknown_function_names_it(backend: Any) -> None:
    result = call(backend, "legion.run_task", {"task": "echo.echo.ech"})
    assert result.is_error and "unknown function 'echo.echo.ech'" in result.content[0].text


def test_do_runs_a_clear_match_and_only_lists_an_unclear_one(backend: Any) -> None:
    ran = call(backend, "legion.do", {"text": "tick the clock"})
    assert ran.structured_content["chosen"] == "clock.clock.tick"
    assert ran.structured_content["run"]["result"] == {"tick": 1}
    listed = call(backend, "legion.do", {"text": "zebra"})
    assert listed.structured_content["chosen"] is None
    assert listed.structured_content["run"] is None


def test_describe_runner_and_extensions_go_through_the_backend(backend: Any) -> None:
    call(backend, "legion.describe_runner", {"runner": "echo.echo"})
    call(backend, "legion.get_extension", {"name": "echo"})
    assert ("runner.describe", {"runner": "echo.echo"}) in backend.calls
    assert ("extension.show", {"name": "echo"}) in backend.calls


def test_an_unexpected_backend_failure_is_masked(backend: Any) -> None:
    def broken(**_: Any) -> Any:
        raise RuntimeError("db password=hunter2 rejected")

    backend.op_status = broken
    result = call(backend, "legion.get_status", {})
    assert result.is_error and "legion.get_status" in result.content[0].text
    assert "hunter2" not in result.content[0].text
