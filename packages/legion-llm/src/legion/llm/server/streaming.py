"""Turning canonical stream events into a dialect's SSE bytes.

The first event is awaited before the response starts, so a request that no candidate can serve
gets a proper HTTP error status in the dialect's format instead of a stream holding an error.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol

from legion.llm.canonical import StreamEnd, StreamEvent
from legion.llm.errors import ErrorKind, GatewayError


class StreamRenderer(Protocol):
    def start(self) -> bytes: ...

    def event(self, event: StreamEvent) -> bytes: ...

    def finish(self, end: StreamEnd) -> bytes: ...

    def error(self, err: GatewayError) -> bytes: ...


async def first_event(events: AsyncIterator[StreamEvent]) -> StreamEvent:
    try:
        return await anext(events)
    except StopAsyncIteration:
        raise GatewayError(ErrorKind.UPSTREAM, "the provider sent an empty stream") from None


async def sse_body(
    renderer: StreamRenderer, first: StreamEvent, events: AsyncIterator[StreamEvent]
) -> AsyncIterator[bytes]:
    yield renderer.start()
    event = first
    try:
        while True:
            if isinstance(event, StreamEnd):
                yield renderer.finish(event)
                return
            frame = renderer.event(event)
            if frame:
                yield frame
            event = await anext(events)
    except GatewayError as error:
        yield renderer.error(error)
    except StopAsyncIteration:
        yield renderer.error(GatewayError(ErrorKind.UPSTREAM, "the stream ended without an end"))
    finally:
        await events.aclose()  # type: ignore[attr-defined]
