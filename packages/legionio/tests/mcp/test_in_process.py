"""The legionio wiring with a real runtime, served over HTTP in this process: progress from a
long task, a Guard that denies, and the tool list following a disabled extension."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import anyio
import pytest
from fastmcp import Client
from mcp import types

from legion.app.cli.commands.mcp import ClientBackend
from legion.app.daemon.client import LocalClient
from legion.core.catalog import Catalog
from legion.core.extensions.components import LITE_COMPONENTS
from legion.core.extensions.extension import Extension
from legion.core.settings import load_settings
from legion.mcp.auth import http_auth
from legion.mcp.guard import AuditRecord, Guard
from legion.mcp.options import ServerOptions
from legion.mcp.server import build_server
from legion.mcp.transports import http_app

GATE = threading.Event()


class Gated:
    def wait_for_gate(self) -> dict[str, Any]:
        """Finish when the test opens the gate."""
        GATE.wait(30)
        return {"opened": True}


@pytest.fixture
def backend() -> Iterator[ClientBackend]:
    GATE.clear()
    settings = load_settings({})
    catalog = Catalog.load(settings, LITE_COMPONENTS)
    catalog.registry.add(Extension(name="gated", version="0.0.1", runners=[Gated]))
    client = LocalClient(settings, catalog, start_engine=True)
    try:
        yield ClientBackend(client, catalog)
    finally:
        GATE.set()
        client.close()


def serve(backend: ClientBackend, guard: Guard | None = None) -> Any:
    options = ServerOptions(wait_seconds=30, progress_interval=0.05)
    server = build_server(backend, guard=guard, options=options)
    policy = http_auth("127.0.0.1", loopback_open=True, tokens=[])
    return http_app(server, policy).app


class DenyPing:
    def __init__(self) -> None:
        self.records: list[AuditRecord] = []

    def check(self, principal: str, resource: str, action: str) -> tuple[bool, str | None]:
        return resource != "mcp/tools/ping.ping.ping", "pinging is not allowed here"

    def audit(self, record: AuditRecord) -> None:
        self.records.append(record)


def test_progress_arrives_while_a_long_task_runs(
    backend: ClientBackend, serve_in_thread: Callable[..., Any]
) -> None:
    seen: list[tuple[float, float | None, str | None]] = []

    async def progress(done: float, total: float | None, message: str | None) -> None:
        seen.append((done, total, message))
        GATE.set()

    async def main(url: str) -> Any:
        async with Client(url) as client:
            return await client.call_tool(
                "gated.gated.wait_for_gate", {}, progress_handler=progress
            )

    with serve_in_thread(serve(backend)) as url:
        result = anyio.run(main, url)
    assert result.structured_content["status"] == "completed"
    assert result.structured_content["result"] == {"opened": True}
    assert seen and seen[0][1] == 30 and result.structured_content["task_id"] in seen[0][2]


def test_a_denied_tool_is_an_error_result_and_the_server_goes_on(
    backend: ClientBackend, serve_in_thread: Callable[..., Any]
) -> None:
    guard = DenyPing()

    async def main(url: str) -> tuple[Any, Any]:
        async with Client(url) as client:
            denied = await client.call_tool("ping.ping.ping", {}, raise_on_error=False)
            allowed = await client.call_tool("health.check.ping", {})
        return denied, allowed

    with serve_in_thread(serve(backend, guard)) as url:
        denied, allowed = anyio.run(main, url)
    assert denied.is_error and "pinging is not allowed here" in denied.content[0].text
    assert not allowed.is_error
    assert [r.outcome for r in guard.records] == ["denied", "ok"]
    assert guard.records[0].principal == "local:streamable-http"


def test_disabling_an_extension_removes_its_tools_and_notifies(
    backend: ClientBackend, serve_in_thread: Callable[..., Any]
) -> None:
    changed = anyio.Event()

    async def on_message(message: Any) -> None:
        if isinstance(message, types.ToolListChangedNotification):
            changed.set()

    async def main(url: str) -> tuple[set[str], set[str], Any]:
        async with Client(url, message_handler=on_message) as client:
            before = {t.name for t in await client.list_tools()}
            await client.call_tool("legion.disable_extension", {"name": "log"})
            with anyio.fail_after(10):
                await changed.wait()
            after = {t.name for t in await client.list_tools()}
            extensions = await client.call_tool("legion.list_extensions", {})
        return before, after, extensions.structured_content

    with serve_in_thread(serve(backend)) as url:
        before, after, extensions = anyio.run(main, url)
    assert "log.message.write" in before and "log.message.write" not in after
    status = {e["name"]: e["status"] for e in extensions["extensions"]}
    assert status["log"] == "disabled"
