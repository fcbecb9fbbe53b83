"""With a daemon running, `legion do` and `legion mcp` work through its control socket."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

import anyio
import pytest
from fastmcp import Client
from fastmcp.client.transports import StdioTransport
from mcp import types

LEGIONIO = [sys.executable, "-c", "from legion.app.cli.main import legionio; legionio()"]


@pytest.fixture
def daemon(free_port: Callable[[], int]) -> Iterator[None]:
    proc = subprocess.Popen(
        [*LEGIONIO, "start", "--lite", "--http-port", str(free_port())],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )
    ready = threading.Event()

    def watch() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:  # keep draining so the daemon never blocks on its stderr
            if "REST API on http://" in line:
                ready.set()
        ready.set()

    threading.Thread(target=watch, daemon=True).start()
    try:
        assert ready.wait(120) and proc.poll() is None, "the daemon did not start"
        yield
    finally:
        proc.terminate()
        proc.wait(60)


@pytest.mark.usefixtures("daemon")
def test_do_runs_through_the_daemon() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "legion.app.cli", "do", "--json", "run a ping"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    data = json.loads(out.stdout)
    assert out.returncode == 0 and data["via"] == "daemon"
    assert data["run"]["status"] == "completed" and data["run"]["result"]["reply"] == "pong"


@pytest.mark.usefixtures("daemon")
def test_mcp_over_stdio_uses_the_daemon_and_mirrors_extension_changes() -> None:
    changed = anyio.Event()

    async def on_message(message: Any) -> None:
        if isinstance(message, types.ToolListChangedNotification):
            changed.set()

    async def main() -> None:
        transport = StdioTransport(
            sys.executable, ["-m", "legion.app.cli", "mcp"], env=dict(os.environ)
        )
        async with Client(transport, message_handler=on_message) as client:
            status = await client.call_tool("legion.get_status", {})
            assert status.structured_content["actors"]  # type: ignore[index]  # the daemon's
            pong = await client.call_tool("ping.ping.ping", {})
            assert pong.structured_content["status"] == "completed"  # type: ignore[index]
            await client.call_tool("legion.disable_extension", {"name": "log"})
            with anyio.fail_after(30):
                await changed.wait()
            names = {t.name for t in await client.list_tools()}
            assert "log.message.write" not in names and "ping.ping.ping" in names
            shown = await client.call_tool("legion.get_extension", {"name": "log"})
            assert shown.structured_content["status"] == "disabled"  # type: ignore[index]
            await client.call_tool("legion.enable_extension", {"name": "log"})
            names = {t.name for t in await client.list_tools()}
            assert "log.message.write" in names

    anyio.run(main)
