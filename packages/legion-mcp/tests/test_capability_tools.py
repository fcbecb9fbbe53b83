"""Capability tools: one per exposed function, schemas from the registry, tasks with progress."""

from __future__ import annotations

import re
import threading
from typing import Any

import anyio
from fastmcp import Client
from mcp import types

from legion.mcp.options import ServerOptions
from legion.mcp.server import build_server

NAME = re.compile(r"^[A-Za-z0-9_.-]{1,128}$")


def test_every_exposed_function_is_a_tool_with_the_registry_schema(backend: Any) -> None:
    async def main() -> None:
        async with Client(build_server(backend)) as client:
            tools = {t.name: t for t in await client.list_tools()}
        registry = backend.registry()
        for address in ("echo.echo.echo", "echo.echo.slow", "clock.clock.tick"):
            assert tools[address].input_schema == registry.get(address).input_schema
        assert "echo.echo.hidden" not in tools
        assert all(NAME.match(name) for name in tools)
        assert tools["echo.echo.echo"].description == "Say `text` back, `times` times."

    anyio.run(main)


def test_a_call_returns_the_task_result(backend: Any) -> None:
    async def main() -> None:
        async with Client(build_server(backend)) as client:
            result = await client.call_tool("echo.echo.echo", {"text": "ab", "times": 2})
        assert result.structured_content is not None
        assert result.structured_content["status"] == "completed"
        assert result.structured_content["result"] == {"text": "abab"}

    anyio.run(main)


def test_bad_arguments_are_an_error_result_naming_the_field(backend: Any) -> None:
    async def main() -> None:
        async with Client(build_server(backend)) as client:
            result = await client.call_tool(
                "echo.echo.echo", {"times": "many"}, raise_on_error=False
            )
        assert result.is_error
        text = result.content[0].text  # type: ignore[union-attr]
        assert "text: Field required" in text and "times:" in text
        assert not any(op == "task.run" for op, _ in backend.calls)

    anyio.run(main)


def test_a_failing_task_is_an_error_result(backend: Any) -> None:
    async def main() -> None:
        async with Client(build_server(backend)) as client:
            result = await client.call_tool("echo.echo.fail", {}, raise_on_error=False)
        assert result.is_error
        assert "RuntimeError: it broke" in result.content[0].text  # type: ignore[union-attr]

    anyio.run(main)


def test_a_long_task_reports_progress_until_it_ends(
    backend: Any, gates: dict[str, threading.Event]
) -> None:
    gates["p"] = threading.Event()
    seen: list[tuple[float, float | None, str | None]] = []

    async def progress(done: float, total: float | None, message: str | None) -> None:
        seen.append((done, total, message))
        gates["p"].set()  # the task finishes once a progress notification arrived

    async def main() -> dict[str, Any]:
        options = ServerOptions(wait_seconds=30, progress_interval=0.01)
        async with Client(build_server(backend, options=options)) as client:
            result = await client.call_tool(
                "echo.echo.slow", {"key": "p"}, progress_handler=progress
            )
        assert result.structured_content is not None
        return result.structured_content

    view = anyio.run(main)
    assert view["status"] == "completed" and view["result"] == {"opened": "p"}
    assert seen and seen[0][1] == 30 and "running" in (seen[0][2] or "")


def test_a_task_longer_than_the_wait_returns_its_id(
    backend: Any, gates: dict[str, threading.Event]
) -> None:
    gates["never"] = threading.Event()

    async def main() -> dict[str, Any]:
        options = ServerOptions(wait_seconds=0.05, progress_interval=0.01)
        async with Client(build_server(backend, options=options)) as client:
            result = await client.call_tool("echo.echo.slow", {"key": "never"})
        assert result.structured_content is not None
        return result.structured_content

    view = anyio.run(main)
    assert view["status"] == "running" and len(view["task_id"]) == 32
    assert "legion.get_task" in view["note"]


def test_disabling_an_extension_changes_the_list_and_says_so(backend: Any) -> None:
    changed = anyio.Event()

    async def on_message(message: Any) -> None:
        if isinstance(message, types.ToolListChangedNotification):
            changed.set()

    async def main() -> tuple[set[str], set[str], set[str]]:
        async with Client(build_server(backend), message_handler=on_message) as client:
            before = {t.name for t in await client.list_tools()}
            await client.call_tool("legion.disable_extension", {"name": "clock"})
            with anyio.fail_after(5):
                await changed.wait()
            after = {t.name for t in await client.list_tools()}
            await client.call_tool("legion.enable_extension", {"name": "clock"})
            again = {t.name for t in await client.list_tools()}
        return before, after, again

    before, after, again = anyio.run(main)
    assert "clock.clock.tick" in before and "clock.clock.tick" not in after
    assert "clock.clock.tick" in again
