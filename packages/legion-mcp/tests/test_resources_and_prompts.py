"""Resources (the catalog, an extension, a task) and prompts (build a chain, debug a task)."""

from __future__ import annotations

import json
from typing import Any

import anyio
from fastmcp import Client

from legion.mcp.server import build_server
from legion.mcp.tool_list import as_markdown, describe_tools


def test_resources_read_the_registry_and_the_backend(backend: Any) -> None:
    async def main() -> tuple[Any, Any, Any, list[str]]:
        async with Client(build_server(backend)) as client:
            templates = [t.uri_template for t in await client.list_resource_templates()]
            runners = await client.read_resource("legion://runners")
            ran = await client.call_tool("echo.echo.echo", {"text": "a"})
            task_id = ran.structured_content["task_id"]  # type: ignore[index]
            task = await client.read_resource(f"legion://tasks/{task_id}")
            ext = await client.read_resource("legion://extensions/echo")
        return runners, task, ext, templates

    runners, task, ext, templates = anyio.run(main)
    assert {"legion://extensions/{name}", "legion://tasks/{task_id}"} <= set(templates)
    catalog = json.loads(runners[0].text)["runners"]
    assert [f["address"] for f in catalog["clock.clock"]["functions"]] == ["clock.clock.tick"]
    assert json.loads(task[0].text)["result"] == {"text": "a"}
    assert json.loads(ext[0].text)["params"] == {"name": "echo"}


def test_prompts_build_a_chain_and_debug_a_task(backend: Any) -> None:
    async def main() -> tuple[list[str], str, str]:
        async with Client(build_server(backend)) as client:
            names = [p.name for p in await client.list_prompts()]
            chain = await client.get_prompt("legion.build_chain", {"goal": "tick then echo"})
            debug = await client.get_prompt("legion.debug_failed_task", {"task_id": "f" * 32})
        return names, chain.messages[0].content.text, debug.messages[0].content.text  # type: ignore[union-attr]

    names, chain, debug = anyio.run(main)
    assert names == ["legion.build_chain", "legion.debug_failed_task"]
    assert "tick then echo" in chain and "clock.clock.tick" in chain
    assert "legion.create_relationship" in chain
    assert "could not be read: no task with id" in debug


def test_the_markdown_tool_list_groups_tools(backend: Any) -> None:
    listed = anyio.run(describe_tools, build_server(backend))
    text = as_markdown(listed)
    assert text.index("Management tools") < text.index("Extension `clock`")
    assert "| `echo.echo.echo` | `text`, `times`? |" in text
