"""Fixtures for the Anthropic dialect: a loopback gateway that speaks the Messages API through
the wire module (driven by the official SDK), a fake Anthropic upstream for the provider, and
canned upstream SSE streams."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import msgspec
import pytest
from aiohttp import web

from legion.llm.canonical import (
    ChatRequest,
    ChatResponse,
    ImagePart,
    Part,
    StreamEnd,
    StreamEvent,
    StreamMeta,
    TextDelta,
    TextPart,
    ThinkingDelta,
    ThinkingPart,
    ToolCallDelta,
    ToolCallStart,
    ToolUsePart,
    Usage,
)
from legion.llm.deployment import Deployment
from legion.llm.errors import ErrorKind, GatewayError
from legion.llm.providers import http
from legion.llm.sse import frame
from legion.llm.tokens import estimate_request
from legion.llm.wire.anthropic_messages import (
    MessagesStreamRenderer,
    parse_count_tokens_request,
    parse_messages_request,
    render_count_tokens,
    render_error,
    render_messages_response,
)

# Models that make the loopback gateway fail the way their name says.
FAILURES: dict[str, GatewayError] = {
    "fail-rate-limit": GatewayError(ErrorKind.RATE_LIMIT, "slow down", retry_after=1.0),
    "fail-auth": GatewayError(ErrorKind.AUTHENTICATION, "bad gateway key"),
    "fail-overloaded": GatewayError(ErrorKind.OVERLOADED, "all candidates overloaded"),
    "fail-not-found": GatewayError(ErrorKind.NOT_FOUND, "no such model"),
    "fail-upstream": GatewayError(ErrorKind.UPSTREAM, "upstream broke", upstream=True),
}
TOOL_ARGUMENTS = '{"city": "Paris", "days": 3}'


def canned_response(request: ChatRequest) -> ChatResponse:
    """The gateway's answer: a tool call when tools are offered, thinking for `thinker`, and
    otherwise an echo of the last user text noting any images."""
    last = next(m for m in reversed(request.messages) if m.role in ("user", "tool"))
    images = sum(isinstance(p, ImagePart) for p in last.content)
    usage = Usage(input_tokens=estimate_request(request), output_tokens=7)
    content: list[Part] = []
    if request.model == "thinker":
        content.append(ThinkingPart("Let me think.", "sig-1"))
    if request.tools and (request.tool_choice is None or request.tool_choice.mode != "none"):
        content += [
            TextPart("Checking."),
            ToolUsePart("toolu_01", request.tools[0].name, TOOL_ARGUMENTS),
        ]
        return ChatResponse("abc", request.model, content, "tool_calls", usage)
    text = f"echo: {last.text()}" + (f" [{images} image(s)]" if images else "")
    content.append(TextPart(text))
    return ChatResponse("abc", request.model, content, "stop", usage)


def stream_events(response: ChatResponse) -> list[StreamEvent]:
    """The canned answer cut into small deltas, as a provider would yield it."""
    events: list[StreamEvent] = []
    tools = 0
    for part in response.content:
        if isinstance(part, ThinkingPart):
            events += [ThinkingDelta(part.text[i : i + 4]) for i in range(0, len(part.text), 4)]
        elif isinstance(part, TextPart):
            events += [TextDelta(part.text[i : i + 3]) for i in range(0, len(part.text), 3)]
        elif isinstance(part, ToolUsePart):
            events.append(ToolCallStart(tools, part.id, part.name))
            args = part.arguments
            events += [ToolCallDelta(tools, args[i : i + 5]) for i in range(0, len(args), 5)]
            tools += 1
    events.append(StreamEnd(response.finish_reason, response.usage))
    return events


def _error_response(err: GatewayError) -> web.Response:
    status, body = render_error(err)
    return web.json_response(body, status=status)


@dataclass
class Gateway:
    base_url: str = ""
    received: list[ChatRequest] = field(default_factory=list)


GATEWAY = web.AppKey("gateway", Gateway)


async def _messages(request: web.Request) -> web.StreamResponse:
    gateway = request.app[GATEWAY]
    try:
        body = await request.json()
        parsed = parse_messages_request(body)
        if parsed.model in FAILURES:
            raise FAILURES[parsed.model]
    except GatewayError as err:
        return _error_response(err)
    gateway.received.append(parsed)
    answer = canned_response(parsed)
    if not parsed.stream:
        return web.json_response(render_messages_response(answer, parsed.model))
    response = web.StreamResponse(headers={"content-type": "text/event-stream"})
    await response.prepare(request)
    meta = StreamMeta("abc", parsed.model, 0, input_tokens=answer.usage.input_tokens)
    renderer = MessagesStreamRenderer(meta)
    await response.write(renderer.start())
    events = stream_events(answer)
    for event in events[:-1]:
        await response.write(renderer.event(event))
    if parsed.model == "fail-midstream":
        await response.write(renderer.error(GatewayError(ErrorKind.OVERLOADED, "went away")))
    else:
        end = events[-1]
        assert isinstance(end, StreamEnd)
        await response.write(renderer.finish(end))
    await response.write_eof()
    return response


async def _count_tokens(request: web.Request) -> web.Response:
    try:
        parsed = parse_count_tokens_request(await request.json())
    except GatewayError as err:
        return _error_response(err)
    return web.json_response(render_count_tokens(estimate_request(parsed)))


@pytest.fixture(scope="session")
def gateway() -> Iterator[Gateway]:
    """A loopback server in a background thread that answers with the wire module's renderers."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    state = Gateway()
    app = web.Application()
    app[GATEWAY] = state
    app.router.add_post("/v1/messages", _messages)
    app.router.add_post("/v1/messages/count_tokens", _count_tokens)
    runner = web.AppRunner(app)

    async def start() -> int:
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        return int(runner.addresses[0][1])

    port = asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=10)
    state.base_url = f"http://127.0.0.1:{port}"
    try:
        yield state
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


# --- provider side ------------------------------------------------------------------------------

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Upstream:
    base_url: str
    bodies: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)


@contextlib.asynccontextmanager
async def _serve(handler: Handler) -> AsyncIterator[Upstream]:
    state = Upstream("")

    async def record(request: web.Request) -> web.StreamResponse:
        state.bodies.append(await request.json())
        state.headers.append(dict(request.headers))
        state.paths.append(request.path)
        return await handler(request)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", record)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    state.base_url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        yield state
    finally:
        await runner.cleanup()


@pytest.fixture
def fake_upstream() -> Callable[[Handler], contextlib.AbstractAsyncContextManager[Upstream]]:
    """`async with fake_upstream(handler) as upstream:` serves `handler` on loopback."""
    return _serve


@pytest.fixture
def run() -> Callable[[Callable[[], Awaitable[Any]]], Any]:
    """Run an async test body in a fresh loop, closing the shared HTTP session at its end."""

    def runner(body: Callable[[], Awaitable[Any]]) -> Any:
        async def main() -> Any:
            try:
                return await body()
            finally:
                await http.close_sessions()

        return asyncio.run(main())

    return runner


@pytest.fixture
def deployment() -> Callable[..., Deployment]:
    def make(api_base: str | None, **kwargs: Any) -> Deployment:
        return Deployment(
            id="claude-test",
            model_name="claude",
            provider="anthropic",
            model="claude-sonnet-4-5",
            api_base=api_base,
            api_key="sk-test",
            timeout=10.0,
            **kwargs,
        )

    return make


def _sse(events: list[dict[str, Any]]) -> bytes:
    return b"".join(frame(msgspec.json.encode(e), event=e["type"]) for e in events)


@pytest.fixture
def sse_bytes() -> Callable[[list[dict[str, Any]]], bytes]:
    """Anthropic typed SSE frames (event line from each event's `type`)."""
    return _sse


@pytest.fixture
def upstream_events() -> list[dict[str, Any]]:
    """A complete upstream stream: thinking, text, then a tool call, as Anthropic sends them."""
    return [
        {
            "type": "message_start",
            "message": {
                "id": "msg_up",
                "type": "message",
                "role": "assistant",
                "model": "claude-sonnet-4-5",
                "content": [],
                "stop_reason": None,
                "stop_sequence": None,
                "usage": {"input_tokens": 25, "output_tokens": 1, "cache_read_input_tokens": 5},
            },
        },
        {"type": "ping"},
        {
            "type": "content_block_start",
            "index": 0,
            "content_block": {"type": "thinking", "thinking": "", "signature": ""},
        },
        {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "thinking_delta", "thinking": "Hmm."},
        },
        {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "signature_delta", "signature": "sig"},
        },
        {"type": "content_block_stop", "index": 0},
        {
            "type": "content_block_start",
            "index": 1,
            "content_block": {"type": "text", "text": ""},
        },
        {"type": "content_block_delta", "index": 1, "delta": {"type": "text_delta", "text": "Hé"}},
        {
            "type": "content_block_delta",
            "index": 1,
            "delta": {"type": "text_delta", "text": "llo ✓"},
        },
        {"type": "content_block_stop", "index": 1},
        {
            "type": "content_block_start",
            "index": 2,
            "content_block": {"type": "tool_use", "id": "toolu_9", "name": "weather", "input": {}},
        },
        {
            "type": "content_block_delta",
            "index": 2,
            "delta": {"type": "input_json_delta", "partial_json": ""},
        },
        {
            "type": "content_block_delta",
            "index": 2,
            "delta": {"type": "input_json_delta", "partial_json": '{"city": '},
        },
        {
            "type": "content_block_delta",
            "index": 2,
            "delta": {"type": "input_json_delta", "partial_json": '"Oslo"}'},
        },
        {"type": "content_block_stop", "index": 2},
        {
            "type": "message_delta",
            "delta": {"stop_reason": "tool_use", "stop_sequence": None},
            "usage": {"output_tokens": 42},
        },
        {"type": "message_stop"},
    ]
