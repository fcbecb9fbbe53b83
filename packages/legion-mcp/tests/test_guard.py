"""Every tool call passes the Guard and its audit hook; a denial is an error result."""

from __future__ import annotations

from typing import Any

import anyio
from fastmcp import Client

from legion.mcp.guard import AllowAll, AuditRecord, Guard
from legion.mcp.server import build_server


class DenyTicks:
    """Denies the clock's tool, allows the rest, and keeps every audit record."""

    def __init__(self) -> None:
        self.records: list[AuditRecord] = []
        self.checked: list[tuple[str, str, str]] = []

    def check(self, principal: str, resource: str, action: str) -> tuple[bool, str | None]:
        self.checked.append((principal, resource, action))
        if resource == "mcp/tools/clock.clock.tick":
            return False, "role viewer lacks execute"
        return True, None

    def audit(self, record: AuditRecord) -> None:
        self.records.append(record)


class Broken:
    def check(self, principal: str, resource: str, action: str) -> tuple[bool, str | None]:
        raise RuntimeError("policy store down")

    def audit(self, record: AuditRecord) -> None:
        raise RuntimeError("audit sink down")


def call(backend: Any, guard: Guard, name: str, args: dict[str, Any]) -> Any:
    async def main() -> Any:
        async with Client(build_server(backend, guard=guard)) as client:
            return await client.call_tool(name, args, raise_on_error=False)

    return anyio.run(main)


def test_the_default_guard_allows_everything() -> None:
    guard = AllowAll()
    assert isinstance(guard, Guard)
    assert guard.check("anyone", "mcp/tools/x", "execute") == (True, None)


def test_a_denied_tool_is_an_error_result_and_audited(backend: Any) -> None:
    guard = DenyTicks()
    result = call(backend, guard, "clock.clock.tick", {})
    assert result.is_error
    assert "role viewer lacks execute" in result.content[0].text
    assert not any(op == "task.run" for op, _ in backend.calls)
    assert [r.outcome for r in guard.records] == ["denied"]
    assert guard.checked[0][1:] == ("mcp/tools/clock.clock.tick", "execute")
    assert guard.checked[0][0].startswith("local:")


def test_allowed_calls_are_audited_with_their_outcome(backend: Any) -> None:
    guard = DenyTicks()
    call(backend, guard, "echo.echo.echo", {"text": "a"})
    call(backend, guard, "echo.echo.fail", {})
    assert [(r.resource, r.outcome) for r in guard.records] == [
        ("mcp/tools/echo.echo.echo", "ok"),
        ("mcp/tools/echo.echo.fail", "error"),
    ]


def test_run_task_and_do_cannot_bypass_a_denied_function(backend: Any) -> None:
    guard = DenyTicks()
    via_run = call(backend, guard, "legion.run_task", {"task": "clock.clock.tick"})
    via_do = call(backend, guard, "legion.do", {"text": "tick the clock"})
    assert via_run.is_error and via_do.is_error
    assert not any(op == "task.run" for op, _ in backend.calls)


def test_a_guard_that_fails_denies_instead_of_crashing(backend: Any) -> None:
    result = call(backend, Broken(), "echo.echo.echo", {"text": "a"})
    assert result.is_error and "policy store down" in result.content[0].text


def test_rbac_check_asks_the_guard(backend: Any) -> None:
    guard = DenyTicks()
    result = call(backend, guard, "legion.rbac_check", {"resource": "mcp/tools/clock.clock.tick"})
    body = result.structured_content
    assert body["allowed"] is False and body["reason"] == "role viewer lacks execute"
