"""Server-sent events: framing what we send, and splitting what an upstream sends."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass


def frame(data: str | bytes, event: str | None = None) -> bytes:
    """One SSE frame. `data` must not contain newlines (JSON from msgspec/json never does)."""
    body = data if isinstance(data, bytes) else data.encode()
    if event is None:
        return b"data: " + body + b"\n\n"
    return b"event: " + event.encode() + b"\ndata: " + body + b"\n\n"


@dataclass(slots=True)
class SSEMessage:
    event: str | None
    data: str


async def parse(chunks: AsyncIterator[bytes]) -> AsyncIterator[SSEMessage]:
    """Messages from a byte stream split anywhere (mid-line, mid-frame); comments are skipped."""
    buffer = b""
    event: str | None = None
    data: list[str] = []
    async for chunk in chunks:
        buffer += chunk
        while True:
            newline = buffer.find(b"\n")
            if newline < 0:
                break
            line = buffer[:newline].rstrip(b"\r").decode()
            buffer = buffer[newline + 1 :]
            if not line:
                if data:
                    yield SSEMessage(event, "\n".join(data))
                event, data = None, []
                continue
            if line.startswith(":"):
                continue
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if name == "data":
                data.append(value)
            elif name == "event":
                event = value
    if data:
        yield SSEMessage(event, "\n".join(data))
