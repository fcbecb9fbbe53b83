"""What both mock dialects share: settings, the fault book, auth, and a stream writer that applies
faults chunk by chunk (delays, an unparsable line, a connection cut mid-stream)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import msgspec
from aiohttp import web

from legion.llm.testing.faults import FaultBook, Plan

# Renders a dialect's error body: (status, message) -> JSON body.
ErrorBody = Callable[[int, str], dict[str, Any]]

_json = msgspec.json.Encoder()
_decode = msgspec.json.Decoder()


def dumps(value: Any) -> bytes:
    return _json.encode(value)


@dataclass
class MockState:
    """Settings of one mock and its fault book; shared by every route."""

    words: int = 12
    chunks: int | None = None
    chunk_delay: float = 0.0
    api_key: str | None = None
    models: tuple[str, ...] = ("mock-model",)
    embedding_dims: int = 8
    book: FaultBook = field(default_factory=FaultBook)
    stopping: asyncio.Event | None = None
    ids: int = 0

    def next_id(self) -> int:
        self.ids += 1
        return self.ids


STATE = web.AppKey("mock_state", MockState)


class Cut(Exception):
    """The connection was cut on purpose; the handler returns without writing more."""


def json_response(
    status: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> web.Response:
    return web.Response(
        status=status, body=dumps(body), content_type="application/json", headers=headers
    )


def cut(request: web.Request) -> None:
    """Close the socket under the response: the client sees a body that never completes."""
    transport = request.transport
    if transport is not None:
        transport.close()


def _presented_key(request: web.Request) -> str | None:
    auth = request.headers.get("Authorization", "")
    if auth[:7].lower() == "bearer ":
        return auth[7:].strip()
    return request.headers.get("x-api-key")


async def _wait_forever(state: MockState) -> None:
    if state.stopping is None:
        await asyncio.Event().wait()
    else:
        await state.stopping.wait()


async def pause(state: MockState, seconds: float) -> None:
    """Sleep, but wake when the mock stops so a slow fault never delays shutdown."""
    if state.stopping is None:
        await asyncio.sleep(seconds)
        return
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(state.stopping.wait(), seconds)


async def preflight(
    request: web.Request, state: MockState, error: ErrorBody
) -> tuple[Any, Plan] | web.StreamResponse:
    """Read the body, record it, and apply what comes before an answer: bad JSON, auth, hang,
    slow first byte, error status, or a cut / unparsable body for a non-stream request.
    Returns the body and the fault plan, or the response to send instead."""
    raw = await request.read()
    try:
        body: Any = _decode.decode(raw) if raw else {}
    except msgspec.DecodeError:
        state.book.take(request.path, None)
        return json_response(400, error(400, "request body is not valid JSON"))
    plan = state.book.take(request.path, body)
    if state.api_key is not None and _presented_key(request) != state.api_key:
        return json_response(401, error(401, "invalid api key"))
    if plan.hang is not None:
        await _wait_forever(state)
        return json_response(503, error(503, "mock upstream stopped"))
    if plan.slow_first_byte is not None:
        await pause(state, plan.slow_first_byte.seconds)
    if plan.status is not None:
        fault = plan.status
        headers: dict[str, str] = {}
        retry_after = fault.retry_after
        if retry_after is None and fault.status == 429:
            retry_after = 1
        if retry_after is not None:
            headers["Retry-After"] = f"{retry_after:g}"
        message = fault.message or f"mock upstream fault: status {fault.status}"
        return json_response(fault.status, error(fault.status, message), headers)
    if not isinstance(body, dict):
        return json_response(400, error(400, "request body must be a JSON object"))
    if not body.get("stream"):
        if plan.die_after is not None:
            response = web.StreamResponse(headers={"Content-Type": "application/json"})
            response.content_length = 4096
            await response.prepare(request)
            await response.write(b'{"id": ')
            cut(request)
            return response
        if plan.malformed is not None:
            return web.Response(
                status=200, body=b'{"id": "mock", "choices": [', content_type="application/json"
            )
    return body, plan


class StreamWriter:
    """Writes SSE frames; counts content chunks to apply `die_after`, `malformed` and delays."""

    def __init__(
        self,
        request: web.Request,
        state: MockState,
        plan: Plan,
        *,
        malformed: bytes = b"data: {this is not json\n\n",
    ) -> None:
        self._request = request
        self._state = state
        self._malformed = malformed
        self._plan = plan
        self._delay = plan.chunk_delay.seconds if plan.chunk_delay else state.chunk_delay
        self._sent = 0
        self.response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )

    async def open(self) -> None:
        await self.response.prepare(self._request)
        await self._maybe_fault()

    async def frame(self, data: bytes) -> None:
        """A frame that carries no content (preamble, usage, end)."""
        await self.response.write(data)

    async def content(self, data: bytes, preamble: Callable[[], Awaitable[None]] | None) -> None:
        """A content chunk; `preamble` writes what must precede the first one."""
        if self._sent and self._delay:
            await pause(self._state, self._delay)
        if not self._sent and preamble is not None:
            await preamble()
        await self.response.write(data)
        self._sent += 1
        await self._maybe_fault()

    async def _maybe_fault(self) -> None:
        malformed = self._plan.malformed
        if malformed is not None and malformed.chunks == self._sent:
            await self.response.write(self._malformed)
        die = self._plan.die_after
        if die is not None and die.chunks == self._sent:
            cut(self._request)
            raise Cut
