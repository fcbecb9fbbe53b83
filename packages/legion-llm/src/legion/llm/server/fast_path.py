"""The gateway's ASGI entry: the dialect POST endpoints are served straight from ASGI through the
shared handlers, everything else (models, health, metrics, unknown routes, lifespan) goes to the
litestar app. Measured: litestar's request machinery cost about a third of the gateway's
throughput on the hot routes (docs/llm-benchmarks.md)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from legion.core.logging import logger
from legion.llm.errors import GatewayError
from legion.llm.gateway import Gateway
from legion.llm.server.body import Receive, read_asgi
from legion.llm.server.errors import INTERNAL, error_reply
from legion.llm.server.exchange import Incoming, Outgoing
from legion.llm.server.handlers import POST, Handler

Scope = MutableMapping[str, Any]
Send = Callable[[dict[str, Any]], Awaitable[None]]
ASGIApp = Callable[..., Awaitable[None]]


class GatewayApp:
    def __init__(self, gateway: Gateway, fallback: ASGIApp) -> None:
        self.gateway = gateway
        self.fallback = fallback
        self.limit = gateway.config.server.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            handler = POST.get(scope["path"])
            if handler is not None:
                await self._serve(handler, scope, receive, send)
                return
        await self.fallback(scope, receive, send)

    async def _serve(self, handler: Handler, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope["path"]
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        try:
            body = await read_asgi(headers, receive, self.limit)
            reply = await handler(self.gateway, Incoming(path, headers, body))
        except GatewayError as error:
            reply = error_reply(path, error)
        except Exception as exc:
            logger.opt(exception=exc).error("unhandled error on {}", path)
            reply = error_reply(path, INTERNAL)
        await _send(reply, receive, send)


async def _send(reply: Outgoing, receive: Receive, send: Send) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": reply.status,
            "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in reply.headers],
        }
    )
    if reply.stream is None:
        await send({"type": "http.response.body", "body": reply.body})
        return
    stream = reply.stream
    # A client that goes away stops the stream (and the upstream call) at the next chunk.
    gone = asyncio.create_task(_disconnected(receive))
    try:
        async for chunk in stream:
            if gone.done():
                break
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        else:
            await send({"type": "http.response.body", "body": b"", "more_body": False})
    finally:
        gone.cancel()
        await stream.aclose()  # type: ignore[attr-defined]


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
