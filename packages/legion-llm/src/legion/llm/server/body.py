"""Reading a request body from ASGI under the size limit, refusing early on Content-Length."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from legion.llm.server.exchange import too_large

Receive = Callable[[], Awaitable[dict[str, Any]]]


def _check_declared(headers: Mapping[str, str], limit: int) -> None:
    declared = headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise too_large(int(declared), limit)


async def read_asgi(headers: Mapping[str, str], receive: Receive, limit: int) -> bytes:
    _check_declared(headers, limit)
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise too_large(size, limit)
        chunks.append(chunk)
        if not message.get("more_body"):
            break
    return b"".join(chunks)
