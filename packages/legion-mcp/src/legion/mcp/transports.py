"""Serving the server: stdio for desktop agents, a streamable HTTP ASGI app for the network.

The HTTP app is returned, not run: legionio serves it with uvicorn (legion-mcp adds no server
dependency of its own).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from fastmcp import FastMCP

from legion.mcp.auth import AuthPolicy
from legion.mcp.origin import App, OriginCheck

PATH = "/mcp"


async def serve_stdio(server: FastMCP) -> None:
    """Speak MCP on stdin/stdout until the client closes them (logs go to stderr)."""
    await server.run_stdio_async(show_banner=False)


@dataclass(frozen=True)
class HttpApp:
    app: App
    path: str
    notice: str


def http_app(
    server: FastMCP, policy: AuthPolicy, *, allowed_origins: Iterable[str] = (), path: str = PATH
) -> HttpApp:
    """The streamable HTTP app behind the Origin check, with the policy's bearer verifier."""
    server.auth = policy.verifier
    inner = server.http_app(path=path, transport="http", host_origin_protection=False)
    return HttpApp(OriginCheck(inner, allowed_origins), path, policy.notice)
