"""Tells clients the tool list changed when a call changed the registry (enable, disable, ...)."""

from __future__ import annotations

from collections.abc import Callable

from fastmcp.server.middleware import CallNext, Middleware, MiddlewareContext
from fastmcp.tools.base import ToolResult

from legion.core.registry import CapabilityRegistry
from mcp import types


def fingerprint(registry: CapabilityRegistry) -> tuple[str, ...]:
    """The loaded extensions; a change of extension is what changes the tool list."""
    return tuple(sorted(registry.extensions))


class RegistryWatch(Middleware):
    """Compares the registry before and after each tool call and sends list_changed on change."""

    def __init__(self, registry: Callable[[], CapabilityRegistry]) -> None:
        self.registry = registry

    async def on_call_tool(
        self,
        context: MiddlewareContext[types.CallToolRequestParams],
        call_next: CallNext[types.CallToolRequestParams, ToolResult],
    ) -> ToolResult:
        before = fingerprint(self.registry())
        result = await call_next(context)
        ctx = context.fastmcp_context
        if ctx is not None and fingerprint(self.registry()) != before:
            await ctx.send_notification(types.ToolListChangedNotification())
            await ctx.send_notification(types.ResourceListChangedNotification())
        return result
