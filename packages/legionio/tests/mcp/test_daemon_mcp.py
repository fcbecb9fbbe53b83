"""`legionio start -d --mcp`: the daemon serves MCP over streamable HTTP on its own port, over its
own runtime, secured as `legion mcp http` is (token off an open loopback, Origin check, RBAC
guard with audit); both the MCP SDK client and FastMCP's use it; `legionio stop` ends it."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
from fastmcp import Client
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

from legion.mcp.auth import digest

LEGION = [sys.executable, "-c", "from legion.app.cli.main import legion; legion()"]
LEGIONIO = [sys.executable, "-c", "from legion.app.cli.main import legionio; legionio()"]
TOKEN = "lgn_daemon-mcp-test-token"
PRINCIPAL = f"token:{digest(TOKEN)[:12]}"
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


def run(*args: str, program: list[str] = LEGION, timeout: float = 120) -> Any:
    out = subprocess.run(
        [*program, *args, "--json"],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=dict(os.environ),
    )
    assert out.returncode == 0, out.stderr + out.stdout
    return json.loads(out.stdout)


def post_status(url: str, headers: dict[str, str]) -> int:
    request = urllib.request.Request(
        url,
        data=json.dumps(INIT).encode(),
        headers={
            "content-type": "application/json",
            "accept": "application/json, text/event-stream",
            **headers,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def settings_for(home: Path) -> None:
    """A token is required even on loopback; the token's principal may not run health.*."""
    (home / "policy.yaml").write_text(
        f"""
roles:
  - name: agent
    rules:
      - path: mcp/tools/*
        capabilities: [execute]
      - path: mcp/tools/health.check.ping
        capabilities: [deny]
assignments:
  "{PRINCIPAL}": [agent]
"""
    )
    (home / "settings" / "mcp.toml").write_text(
        f"""
[mcp.auth]
loopback_open = false
tokens = ["{digest(TOKEN)}"]

[rbac]
policies = ["{home / "policy.yaml"}"]
"""
    )


@pytest.fixture
def daemon(legion_home: Path, free_port: Callable[[], int]) -> Iterator[dict[str, Any]]:
    settings_for(legion_home)
    meta = run(
        "start",
        "-d",
        "--lite",
        "--http-port",
        str(free_port()),
        "--mcp",
        "--mcp-port",
        str(free_port()),
        program=LEGIONIO,
    )
    try:
        yield meta
    finally:
        if (legion_home / "run" / "daemon.json").exists():
            subprocess.run([*LEGIONIO, "stop"], capture_output=True, timeout=120)


async def with_mcp_sdk(url: str) -> str:
    """The official SDK client: tools, a capability tool, a management tool, a denial."""
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=60) as http,
        streamable_http_client(url, http_client=http) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        names = {t.name for t in (await session.list_tools()).tools}
        assert {"ping.ping.ping", "legion.get_status", "legion.do"} <= names
        pong = await session.call_tool("ping.ping.ping", {"message": "via the daemon"})
        assert not pong.is_error
        ran: dict[str, Any] = pong.structured_content
        assert ran["status"] == "completed" and ran["result"]["message"] == "via the daemon"
        status = await session.call_tool("legion.get_status", {})
        node: dict[str, Any] = status.structured_content
        assert node["actors"]  # the daemon's own operations: its actors run there
        denied = await session.call_tool("health.check.ping", {})
        assert denied.is_error
        assert f"{PRINCIPAL} may not execute mcp/tools/health.check.ping" in str(denied.content)
        return str(ran["task_id"])


async def with_fastmcp(url: str, task_id: str) -> None:
    """FastMCP's client: the task the other client ran is in the same store; `legion.do` runs."""
    async with Client(url, auth=TOKEN, timeout=60) as client:
        tools = await client.list_tools()
        assert "legion.list_tasks" in {t.name for t in tools}
        got = await client.call_tool("legion.get_task", {"task_id": task_id})
        assert got.structured_content["status"] == "completed"
        pong = await client.call_tool("ping.ping.ping", {})
        assert pong.structured_content["result"]["reply"] == "pong"
        did = await client.call_tool("legion.do", {"text": "run a ping"})
        done: dict[str, Any] = did.structured_content
        assert done["chosen"] == "ping.ping.ping" and done["run"]["status"] == "completed"


def test_the_daemon_serves_mcp_over_its_own_runtime(daemon: dict[str, Any]) -> None:
    url = daemon["mcp"]
    assert url.startswith("http://127.0.0.1:") and url.endswith("/mcp")
    status = run("status", program=LEGIONIO)
    assert status["daemon"]["mcp"] == url

    bearer = {"Authorization": f"Bearer {TOKEN}"}
    assert post_status(url, {}) == 401  # loopback_open is off: a token is required
    assert post_status(url, {"Authorization": "Bearer wrong"}) == 401
    assert post_status(url, {**bearer, "Origin": "https://evil.example"}) == 403
    assert post_status(url, {**bearer, "Origin": "http://localhost:3000"}) == 200

    task_id = anyio.run(with_mcp_sdk, url)
    anyio.run(with_fastmcp, url, task_id)

    # The CLI reaches the same daemon over its control socket and sees the tasks MCP ran.
    shown = run("task", "show", task_id)
    assert shown["status"] == "completed" and shown["function"] == "ping.ping.ping"
    # Every tool call was audited in the daemon's store, the denial with its rule.
    rows = [r for r in run("audit", "list", "--limit", "1000") if r["method"] == "MCP"]
    assert {r["principal"] for r in rows} == {PRINCIPAL}
    denied = [r for r in rows if r["decision"] == "deny"]
    assert [r["path"] for r in denied] == ["mcp/tools/health.check.ping"]
    assert "mcp/tools/ping.ping.ping" in {r["path"] for r in rows if r["decision"] == "allow"}


def test_stop_ends_the_daemon_while_an_mcp_session_is_open(
    daemon: dict[str, Any], legion_home: Path
) -> None:
    """An open session (its GET stream included) must not hold `legionio stop`."""
    url = daemon["mcp"]
    stopped: dict[str, Any] = {}

    async def main() -> None:
        client = Client(url, auth=TOKEN, timeout=60)
        async with client:
            assert await client.list_tools()
            began = time.monotonic()
            stopped.update(await anyio.to_thread.run_sync(lambda: run("stop", program=LEGIONIO)))
            stopped["seconds"] = time.monotonic() - began

    anyio.run(main)
    assert stopped.get("stopped") is True and stopped["pid"] == daemon["pid"]
    assert not (legion_home / "run" / "daemon.json").exists()
    print(f"legionio stop took {stopped['seconds']:.1f}s with an MCP session open")


def test_start_refuses_mcp_off_loopback_without_a_token(free_port: Callable[[], int]) -> None:
    out = subprocess.run(
        [*LEGIONIO, "start", "-d", "--lite", "--http-port", str(free_port()), "--mcp"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "LEGION_MCP__HOST": "0.0.0.0"},
    )
    assert out.returncode == 2, out.stderr
    assert "needs a bearer token" in out.stderr and "Traceback" not in out.stderr


def test_start_on_a_busy_mcp_port_says_so(free_port: Callable[[], int]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        out = subprocess.run(
            [*LEGIONIO, "start", "--http-port", str(free_port()), "--mcp-port", str(port)],
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert out.returncode == 2, out.stderr
    assert f"MCP cannot listen on 127.0.0.1:{port}" in out.stderr and "--mcp-port" in out.stderr
