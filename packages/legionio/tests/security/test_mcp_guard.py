"""MCP tool calls go through legion-rbac and the audit log: a tool a policy denies returns an
error result naming the rule's reason, an allowed one runs, and both are audited."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from fastmcp import Client

from legion.app.cli.commands.mcp import ClientBackend
from legion.app.daemon.client import LocalClient
from legion.app.security.mcp_guard import build_mcp_guard
from legion.app.security.store_access import open_store
from legion.core.catalog import Catalog
from legion.core.extensions.components import LITE_COMPONENTS
from legion.core.settings import Settings, load_settings
from legion.core.store.audit import AuditStore
from legion.mcp.auth import http_auth
from legion.mcp.options import ServerOptions
from legion.mcp.server import build_server
from legion.mcp.transports import http_app

from .conftest import serving, write_settings

POLICY = """
roles:
  - name: no-ping
    rules:
      - path: mcp/tools/*
        capabilities: [execute]
      - path: mcp/tools/ping.ping.ping
        capabilities: [deny]
assignments:
  user:local: [no-ping]
"""


@pytest.fixture
def settings(legion_home: Path) -> Settings:
    (legion_home / "policy.yaml").write_text(POLICY)
    write_settings(legion_home, {"rbac": {"policies": [str(legion_home / "policy.yaml")]}})
    return load_settings({})


@pytest.fixture
def backend(settings: Settings) -> Iterator[ClientBackend]:
    catalog = Catalog.load(settings, LITE_COMPONENTS)
    client = LocalClient(settings, catalog, start_engine=True)
    try:
        yield ClientBackend(client, catalog)
    finally:
        client.close()


def test_a_tool_denied_by_policy_is_an_error_result_and_audited(
    settings: Settings, backend: ClientBackend
) -> None:
    db = open_store(settings)
    guard = build_mcp_guard(settings, db)
    server = build_server(backend, guard=guard, options=ServerOptions(wait_seconds=30))
    app = http_app(server, http_auth("127.0.0.1", loopback_open=True, tokens=[])).app

    async def main(url: str) -> tuple[Any, Any]:
        async with Client(url) as client:
            denied = await client.call_tool("ping.ping.ping", {}, raise_on_error=False)
            allowed = await client.call_tool("health.check.ping", {})
        return denied, allowed

    try:
        with serving(app, lifespan="on") as url:
            denied, allowed = anyio.run(main, f"{url}/mcp")
        assert denied.is_error
        text = denied.content[0].text
        assert "may not execute mcp/tools/ping.ping.ping" in text
        assert "no-ping" in text
        assert not allowed.is_error
        rows = AuditStore(db).list()
        assert [(r["principal"], r["path"], r["decision"]) for r in rows] == [
            ("user:local", "mcp/tools/ping.ping.ping", "deny"),
            ("user:local", "mcp/tools/health.check.ping", "allow"),
        ]
        assert rows[0]["method"] == "MCP" and "deny" in rows[0]["rule"]
        assert AuditStore(db).verify() == (2, None)
    finally:
        db.dispose()


def test_the_local_user_is_admin_without_a_policy_and_tokens_default_to_supervisor(
    legion_home: Path,
) -> None:
    guard = build_mcp_guard(load_settings({}), None)
    assert guard.check("local:stdio", "mcp/tools/ping.ping.ping", "execute") == (True, None)
    assert guard.principal("local:stdio").id == "user:local"
    assert guard.check("token:abc123", "mcp/tools/ping.ping.ping", "execute")[0]
    allowed, reason = guard.check("token:abc123", "rbac/roles", "update")
    assert not allowed and reason and "supervisor" in reason
