"""`legion mcp http` as a process: both clients over streamable HTTP, and who gets a 401."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

import anyio
import httpx2
import jsonschema
from fastmcp import Client
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

from legion.mcp.auth import digest

INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "t", "version": "0"},
    },
}


def post_status(url: str, headers: dict[str, str] | None = None) -> int:
    request = urllib.request.Request(
        url,
        data=json.dumps(INIT).encode(),
        headers={
            "content-type": "application/json",
            "accept": "application/json, text/event-stream",
            **(headers or {}),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def token_env(token: str, *, loopback_open: bool) -> dict[str, str]:
    return {
        "LEGION_MCP__AUTH__LOOPBACK_OPEN": "true" if loopback_open else "false",
        "LEGION_MCP__AUTH__TOKENS": json.dumps([digest(token)]),
    }


def test_fastmcp_client_over_http(http_server: Callable[..., Any]) -> None:
    async def main(url: str) -> None:
        async with Client(url) as client:
            tools = await client.list_tools()
            for tool in tools:
                jsonschema.Draft202012Validator.check_schema(tool.input_schema)
            pong = await client.call_tool("ping.ping.ping", {})
            assert pong.structured_content["result"]["reply"] == "pong"  # type: ignore[index]
            listed = await client.call_tool("legion.list_tasks", {"function": "ping.ping.ping"})
            assert listed.structured_content["total"] == 1  # type: ignore[index]
            bad = await client.call_tool("legion.get_task", {}, raise_on_error=False)
            assert bad.is_error and "task_id" in bad.content[0].text  # type: ignore[union-attr]

    with http_server() as url:
        anyio.run(main, url)


def test_mcp_sdk_client_over_http_with_a_token(http_server: Callable[..., Any]) -> None:
    token = "test-token-1"

    async def main(url: str) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        async with (
            httpx2.AsyncClient(headers=headers) as http,
            streamable_http_client(url, http_client=http) as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            names = {t.name for t in (await session.list_tools()).tools}
            assert "ping.ping.ping" in names
            pong = await session.call_tool("ping.ping.ping", {"message": "over http"})
            assert pong.structured_content["result"]["message"] == "over http"  # type: ignore[index]
            config = await session.call_tool("legion.get_config", {})
            shown = config.structured_content["mcp"]["auth"]["tokens"]  # type: ignore[index]
            assert shown == ["***REDACTED***"]
            runners = await session.read_resource("legion://runners")
            assert "ping.ping" in runners.contents[0].text  # type: ignore[union-attr]

    with http_server(env=token_env(token, loopback_open=False)) as url:
        assert post_status(url) == 401
        assert post_status(url, {"Authorization": "Bearer wrong"}) == 401
        anyio.run(main, url)


def test_off_loopback_requires_a_token(http_server: Callable[..., Any]) -> None:
    with http_server("--host", "0.0.0.0", env=token_env("t2", loopback_open=True)) as url:
        assert post_status(url) == 401
        assert post_status(url, {"Authorization": "Bearer t2"}) == 200


def test_foreign_origins_are_refused(http_server: Callable[..., Any]) -> None:
    with http_server() as url:
        assert post_status(url, {"Origin": "https://evil.example"}) == 403
        assert post_status(url, {"Origin": "http://localhost:5173"}) == 200


def test_off_loopback_without_any_token_refuses_to_start() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "legion.app.cli", "mcp", "http", "--host", "0.0.0.0"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 2
    assert "needs a bearer token" in out.stderr and "Traceback" not in out.stderr
