"""Every tool call passes the Guard (`mcp/tools/<name>`, action `execute`) and its audit hook.

A denied call becomes an error result naming the reason; it never raises into the transport.
"""

from __future__ import annotations

import contextlib
from typing import Any

from fastmcp.server.middleware import CallNext, Middleware, MiddlewareContext
from fastmcp.tools.base import ToolResult

from legion.mcp.guard import AuditRecord, Guard, Outcome, decide, tool_resource
from legion.mcp.principal import current_principal
from mcp import types

EXECUTE = "execute"


def safe_audit(guard: Guard, record: AuditRecord) -> None:
    """Auditing must never turn a finished call into a failure."""
    with contextlib.suppress(Exception):  # an audit sink's failure is not the caller's
        guard.audit(record)


def check_tool(guard: Guard, name: str, details: dict[str, Any] | None = None) -> str | None:
    """Why the current principal may not call `name` (audited), or None when it may."""
    principal = current_principal()
    resource = tool_resource(name)
    decision = decide(guard, principal, resource, EXECUTE)
    if decision.allowed:
        return None
    safe_audit(
        guard,
        AuditRecord(principal, resource, EXECUTE, "denied", decision.reason, details or {}),
    )
    because = f" ({decision.reason})" if decision.reason else ""
    return f"denied: {principal} may not execute {resource}{because}"


class GuardMiddleware(Middleware):
    """Checks before the tool runs, audits after with the outcome."""

    def __init__(self, guard: Guard) -> None:
        self.guard = guard

    async def on_call_tool(
        self,
        context: MiddlewareContext[types.CallToolRequestParams],
        call_next: CallNext[types.CallToolRequestParams, ToolResult],
    ) -> ToolResult:
        name = context.message.name
        denied = check_tool(self.guard, name)
        if denied is not None:
            return ToolResult(
                content=denied, structured_content={"denied": True, "reason": denied}, is_error=True
            )
        principal = current_principal()
        outcome: Outcome = "error"
        try:
            result = await call_next(context)
            outcome = "error" if result.is_error else "ok"
            return result
        finally:
            safe_audit(self.guard, AuditRecord(principal, tool_resource(name), EXECUTE, outcome))
