"""Rejects browser requests from foreign origins (DNS rebinding, drive-by pages) with 403.

No Origin header (CLI agents, SDK clients) and localhost origins pass; any other origin must be
listed explicitly.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

from legion.mcp.auth import is_loopback

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]


def origin_allowed(origin: str, allowed: frozenset[str]) -> bool:
    if origin.rstrip("/").lower() in allowed:
        return True
    try:
        host = urlsplit(origin).hostname
    except ValueError:
        return False
    return host is not None and is_loopback(host)


class OriginCheck:
    """ASGI middleware: a request whose Origin is neither local nor allowed gets 403."""

    def __init__(self, app: App, allowed: Iterable[str] = ()) -> None:
        self.app = app
        self.allowed = frozenset(o.rstrip("/").lower() for o in allowed)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            origin = header(scope, b"origin")
            # "null" is what sandboxed frames and file:// pages send: never a local agent.
            if origin is not None and (
                origin == "null" or not origin_allowed(origin, self.allowed)
            ):
                await forbidden(send, origin)
                return
        await self.app(scope, receive, send)


def header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


async def forbidden(send: Send, origin: str) -> None:
    body = f'{{"error": "origin {origin} is not allowed"}}'.encode()
    await send(
        {
            "type": "http.response.start",
            "status": 403,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
