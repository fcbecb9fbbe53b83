"""The Anthropic provider against a fake Anthropic upstream on loopback."""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

import pytest
from aiohttp import web

from legion.llm.canonical import (
    ChatRequest,
    EmbeddingRequest,
    Message,
    StreamEnd,
    StreamEvent,
    TextDelta,
    TextPart,
    ThinkingDelta,
    ToolCallDelta,
    ToolCallStart,
    Usage,
)
from legion.llm.deployment import Deployment
from legion.llm.errors import ErrorKind, GatewayError
from legion.llm.providers.anthropic import AnthropicProvider, messages_url

MESSAGE = {
    "id": "msg_1",
    "type": "message",
    "role": "assistant",
    "model": "claude-sonnet-4-5",
    "content": [{"type": "text", "text": "Hi there"}],
    "stop_reason": "end_turn",
    "stop_sequence": None,
    "usage": {"input_tokens": 12, "output_tokens": 3},
}


def hello(**kwargs: Any) -> ChatRequest:
    return ChatRequest("claude", [Message("user", [TextPart("Hello")])], **kwargs)


async def collect(
    provider: AnthropicProvider, request: ChatRequest, deployment: Deployment
) -> tuple[list[StreamEvent], GatewayError | None]:
    """Every event yielded before the stream ended or failed, and the failure."""
    events: list[StreamEvent] = []
    try:
        async for event in provider.stream(request, deployment):
            events.append(event)
    except GatewayError as err:
        return events, err
    return events, None


def sse_handler(raw: bytes, *, cut: bool = False) -> Callable[[web.Request], Any]:
    """Send `raw` as an SSE body; `cut` drops the connection instead of ending the body."""

    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"content-type": "text/event-stream"})
        await response.prepare(request)
        await response.write(raw)
        if cut:
            assert request.transport is not None
            request.transport.close()
            return response
        await response.write_eof()
        return response

    return handler


def test_chat(run: Any, fake_upstream: Any, deployment: Any) -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.json_response(MESSAGE)

    async def body() -> None:
        async with fake_upstream(handler) as upstream:
            dep = deployment(
                upstream.base_url, headers={"anthropic-beta": "x-1"}, max_output_tokens=321
            )
            response = await AnthropicProvider().chat(hello(), dep)
        assert response.text() == "Hi there"
        assert response.finish_reason == "stop"
        assert response.usage == Usage(input_tokens=12, output_tokens=3)
        assert upstream.paths == ["/v1/messages"]
        headers = upstream.headers[0]
        assert headers["x-api-key"] == "sk-test"
        assert headers["anthropic-version"] == "2023-06-01"
        assert headers["anthropic-beta"] == "x-1"
        assert headers["Content-Type"] == "application/json"
        sent = upstream.bodies[0]
        assert sent["model"] == "claude-sonnet-4-5"
        assert sent["max_tokens"] == 321
        assert "stream" not in sent

    run(body)


def test_messages_url() -> None:
    def dep(base: str | None) -> Deployment:
        return Deployment("d", "m", "anthropic", "m", api_base=base)

    assert messages_url(dep(None)) == "https://api.anthropic.com/v1/messages"
    assert messages_url(dep("https://proxy.test/")) == "https://proxy.test/v1/messages"
    assert messages_url(dep("https://proxy.test/anthropic/v1")) == (
        "https://proxy.test/anthropic/v1/messages"
    )


def test_api_base_with_v1_and_default_max_tokens(
    run: Any, fake_upstream: Any, deployment: Any
) -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.json_response(MESSAGE)

    async def body() -> None:
        async with fake_upstream(handler) as upstream:
            await AnthropicProvider().chat(hello(), deployment(upstream.base_url + "/v1/"))
        assert upstream.paths == ["/v1/messages"]
        assert upstream.bodies[0]["max_tokens"] == 4096

    run(body)


def test_stream(
    run: Any, fake_upstream: Any, deployment: Any, upstream_events: Any, sse_bytes: Any
) -> None:
    async def body() -> None:
        async with fake_upstream(sse_handler(sse_bytes(upstream_events))) as upstream:
            events, error = await collect(
                AnthropicProvider(), hello(), deployment(upstream.base_url)
            )
        assert error is None
        assert upstream.bodies[0]["stream"] is True
        assert upstream.headers[0]["Accept"] == "text/event-stream"
        assert events == [
            ThinkingDelta("Hmm."),
            TextDelta("Hé"),
            TextDelta("llo ✓"),
            ToolCallStart(0, "toolu_9", "weather"),
            ToolCallDelta(0, '{"city": '),
            ToolCallDelta(0, '"Oslo"}'),
            StreamEnd("tool_calls", Usage(input_tokens=30, output_tokens=42, cache_read_tokens=5)),
        ]

    run(body)


@pytest.mark.parametrize("cut", [True, False], ids=["connection-dropped", "clean-eof"])
@pytest.mark.parametrize("k", [0, 4, 8])
def test_stream_cut_short_raises_after_what_arrived(
    run: Any,
    fake_upstream: Any,
    deployment: Any,
    upstream_events: list[dict[str, Any]],
    sse_bytes: Any,
    k: int,
    cut: bool,
) -> None:
    full: list[StreamEvent] = [
        ThinkingDelta("Hmm."),
        TextDelta("Hé"),
        TextDelta("llo ✓"),
    ]
    # Events 0-7 of the upstream stream carry the thinking and the first text delta.
    arrived = {0: [], 4: full[:1], 8: full[:2]}[k]

    async def body() -> None:
        handler = sse_handler(sse_bytes(upstream_events[:k]), cut=cut)
        async with fake_upstream(handler) as upstream:
            events, error = await collect(
                AnthropicProvider(), hello(), deployment(upstream.base_url)
            )
        assert events == arrived
        assert error is not None
        assert error.kind == ErrorKind.UPSTREAM
        assert error.upstream and error.retryable

    run(body)


def test_error_event_mid_stream(
    run: Any,
    fake_upstream: Any,
    deployment: Any,
    upstream_events: list[dict[str, Any]],
    sse_bytes: Any,
) -> None:
    overloaded = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    raw = sse_bytes([*upstream_events[:8], overloaded, *upstream_events[8:]])

    async def body() -> None:
        async with fake_upstream(sse_handler(raw)) as upstream:
            events, error = await collect(
                AnthropicProvider(), hello(), deployment(upstream.base_url)
            )
        assert events == [ThinkingDelta("Hmm."), TextDelta("Hé")]
        assert error is not None
        assert error.kind == ErrorKind.OVERLOADED
        assert error.upstream
        assert "Overloaded" in error.message

    run(body)


def test_rate_limit_carries_retry_after(run: Any, fake_upstream: Any, deployment: Any) -> None:
    async def handler(request: web.Request) -> web.Response:
        error = {"type": "error", "error": {"type": "rate_limit_error", "message": "Slow down"}}
        return web.json_response(error, status=429, headers={"retry-after": "7"})

    async def body() -> None:
        provider = AnthropicProvider()
        async with fake_upstream(handler) as upstream:
            dep = deployment(upstream.base_url)
            with pytest.raises(GatewayError) as chat_error:
                await provider.chat(hello(), dep)
            _, stream_error = await collect(provider, hello(), dep)
        for err in (chat_error.value, stream_error):
            assert err is not None
            assert err.kind == ErrorKind.RATE_LIMIT
            assert err.retry_after == 7.0
            assert "Slow down" in err.message

    run(body)


def test_bad_key_makes_the_deployment_unusable(
    run: Any, fake_upstream: Any, deployment: Any
) -> None:
    async def handler(request: web.Request) -> web.Response:
        error = {
            "type": "error",
            "error": {"type": "authentication_error", "message": "invalid x-api-key"},
        }
        return web.json_response(error, status=401)

    async def body() -> None:
        async with fake_upstream(handler) as upstream:
            with pytest.raises(GatewayError) as caught:
                await AnthropicProvider().chat(hello(), deployment(upstream.base_url))
        assert caught.value.unusable and caught.value.upstream
        assert "invalid x-api-key" in caught.value.message

    run(body)


@pytest.mark.parametrize("payload", [b"{not json", b'{"type": "message"}', b"[1, 2]"])
def test_malformed_response_is_upstream(
    run: Any, fake_upstream: Any, deployment: Any, payload: bytes
) -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=payload, content_type="application/json")

    async def body() -> None:
        async with fake_upstream(handler) as upstream:
            with pytest.raises(GatewayError) as caught:
                await AnthropicProvider().chat(hello(), deployment(upstream.base_url))
        assert caught.value.kind == ErrorKind.UPSTREAM and caught.value.upstream

    run(body)


def test_malformed_stream_event_is_upstream(
    run: Any,
    fake_upstream: Any,
    deployment: Any,
    upstream_events: list[dict[str, Any]],
    sse_bytes: Any,
) -> None:
    raw = sse_bytes(upstream_events[:8]) + b"event: content_block_delta\ndata: {oops\n\n"

    async def body() -> None:
        async with fake_upstream(sse_handler(raw)) as upstream:
            events, error = await collect(
                AnthropicProvider(), hello(), deployment(upstream.base_url)
            )
        assert events == [ThinkingDelta("Hmm."), TextDelta("Hé")]
        assert error is not None and error.kind == ErrorKind.UPSTREAM

    run(body)


def test_continue_from_sends_a_trimmed_prefill(
    run: Any, fake_upstream: Any, deployment: Any
) -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.json_response(MESSAGE)

    async def body() -> None:
        async with fake_upstream(handler) as upstream:
            request = hello(continue_from="The answer is \n")
            await AnthropicProvider().chat(request, deployment(upstream.base_url))
        assert upstream.bodies[0]["messages"][-1] == {
            "role": "assistant",
            "content": [{"type": "text", "text": "The answer is"}],
        }

    run(body)


def test_connection_refused_is_a_retryable_upstream_error(run: Any, deployment: Any) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    async def body() -> None:
        with pytest.raises(GatewayError) as caught:
            await AnthropicProvider().chat(hello(), deployment(f"http://127.0.0.1:{port}"))
        assert caught.value.kind == ErrorKind.UPSTREAM
        assert caught.value.retryable and caught.value.upstream

    run(body)


def test_embeddings_are_unsupported(run: Any, deployment: Any) -> None:
    async def body() -> None:
        with pytest.raises(GatewayError) as caught:
            await AnthropicProvider().embed(EmbeddingRequest("m", ["x"]), deployment(None))
        assert caught.value.kind == ErrorKind.UNSUPPORTED
        assert "embeddings" in caught.value.message

    run(body)
