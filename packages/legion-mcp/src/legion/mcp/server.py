"""Builds the MCP server: capability tools from the registry, the `legion.*` tools, resources
and prompts, with the Guard and the registry watch around every tool call."""

from __future__ import annotations

from typing import Any

from fastmcp import FastMCP
from fastmcp.server.auth import AuthProvider
from fastmcp.server.dependencies import get_context

from legion.core.registry import Capability
from legion.mcp._version import __version__
from legion.mcp.backend import Backend
from legion.mcp.guard import AllowAll, Guard
from legion.mcp.guard_middleware import GuardMiddleware
from legion.mcp.management_tools import ManagementTools, progress_of
from legion.mcp.options import ServerOptions
from legion.mcp.prompts import add_prompts
from legion.mcp.registry_watch import RegistryWatch
from legion.mcp.resources import add_resources
from legion.mcp.task_waiting import run_and_wait
from legion.mcp.tools_from_registry import RegistryToolProvider

INSTRUCTIONS = (
    "Legion runs functions of its extensions as tasks. Each function is a tool named by its "
    "address (extension.runner.function); legion.* tools manage tasks, chains, relationships, "
    "schedules and extensions. legion://runners lists every function."
)


def build_server(
    backend: Backend,
    *,
    guard: Guard | None = None,
    options: ServerOptions | None = None,
    auth: AuthProvider | None = None,
) -> FastMCP:
    """One server for every transport; `auth` is set only for HTTP off an open loopback."""
    guard = guard or AllowAll()
    options = options or ServerOptions()

    async def run_capability(cap: Capability, args: dict[str, Any]) -> dict[str, Any]:
        return await run_and_wait(
            backend,
            cap.address,
            args,
            wait=True,
            wait_seconds=options.wait_seconds,
            interval=options.progress_interval,
            progress=progress_of(get_context()),
        )

    server: FastMCP = FastMCP(
        options.name,
        instructions=INSTRUCTIONS,
        version=__version__,
        auth=auth,
        middleware=[GuardMiddleware(guard), RegistryWatch(backend.registry)],
        providers=[RegistryToolProvider(backend, run_capability)],
        mask_error_details=True,  # unexpected errors say only which tool failed
        on_duplicate="error",
    )
    for tool in ManagementTools(backend, guard, options).tools():
        server.add_tool(tool)
    add_resources(server, backend)
    add_prompts(server, backend)
    return server
