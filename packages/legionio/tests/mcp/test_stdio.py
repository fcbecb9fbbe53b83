"""`legion mcp` over stdio, spawned as a process, with FastMCP's client and the MCP SDK's."""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import anyio
import jsonschema
from fastmcp import Client
from fastmcp.client.transports import StdioTransport
from mcp import ClientSession, StdioServerParameters, stdio_client

ARGS = ["-m", "legion.app.cli", "mcp"]


def check_schemas(tools: list[Any]) -> None:
    for tool in tools:
        jsonschema.Draft202012Validator.check_schema(tool.input_schema)
        assert tool.input_schema["type"] == "object"


def test_fastmcp_client_over_stdio() -> None:
    async def main() -> None:
        transport = StdioTransport(sys.executable, ARGS, env=dict(os.environ))
        async with Client(transport) as client:
            tools = await client.list_tools()
            check_schemas(tools)
            names = {t.name for t in tools}
            assert {"ping.ping.ping", "legion.run_task", "legion.get_status"} <= names
            assert "scheduler.schedule.tick" not in names  # mcp_exposed=False
            pong = await client.call_tool("ping.ping.ping", {"message": "hi"})
            assert pong.structured_content is not None
            assert pong.structured_content["result"]["reply"] == "pong"
            assert pong.structured_content["result"]["message"] == "hi"
            status = await client.call_tool("legion.get_status", {})
            assert status.structured_content["engine_running"] is True  # type: ignore[index]
            runners = await client.read_resource("legion://runners")
            assert "ping.ping" in json.loads(runners[0].text)["runners"]  # type: ignore[union-attr]
            task_id = pong.structured_content["task_id"]
            task = await client.read_resource(f"legion://tasks/{task_id}")
            assert json.loads(task[0].text)["status"] == "completed"  # type: ignore[union-attr]

    anyio.run(main)


def test_mcp_sdk_client_over_stdio() -> None:
    async def main() -> None:
        params = StdioServerParameters(command=sys.executable, args=ARGS, env=dict(os.environ))
        async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
            init = await session.initialize()
            assert init.server_info.name == "legion"
            listed = await session.list_tools()
            check_schemas(listed.tools)
            pong = await session.call_tool("ping.ping.ping", {})
            assert not pong.is_error
            assert pong.structured_content["result"]["reply"] == "pong"  # type: ignore[index]
            bad = await session.call_tool("ping.ping.ping", {"mesage": "typo"})
            assert bad.is_error
            assert "mesage: unexpected argument" in bad.content[0].text  # type: ignore[union-attr]
            chains = await session.call_tool("legion.create_chain", {"name": "nightly"})
            assert not chains.is_error
            listed_chains = await session.call_tool("legion.list_chains", {})
            names = [c["name"] for c in listed_chains.structured_content["chains"]]  # type: ignore[index]
            assert names == ["nightly"]
            ext = await session.read_resource("legion://extensions/ping")
            assert json.loads(ext.contents[0].text)["status"] == "loaded"  # type: ignore[union-attr]

    anyio.run(main)
