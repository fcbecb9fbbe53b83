"""OpenAICompatProvider against a fake OpenAI upstream on loopback."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import pytest

from legion.llm.canonical import (
    CONTINUE_PROMPT,
    ChatRequest,
    EmbeddingRequest,
    Message,
    StreamEnd,
    StreamEvent,
    TextDelta,
    TextPart,
    ToolCallDelta,
    ToolCallStart,
    Usage,
)
from legion.llm.deployment import Deployment
from legion.llm.errors import ErrorKind, GatewayError
from legion.llm.providers.openai_compat import OpenAICompatProvider, _chat_body

T = TypeVar("T")
Run = Callable[[Coroutine[Any, Any, T]], T]


def chat_request(text: str = "hi", **more: Any) -> ChatRequest:
    return ChatRequest("public", [Message("user", [TextPart(text)])], **more)


async def collect(
    deployment: Deployment, request: ChatRequest | None = None
) -> tuple[list[StreamEvent], GatewayError | None]:
    events: list[StreamEvent] = []
    try:
        async for event in OpenAICompatProvider().stream(request or chat_request(), deployment):
            events.append(event)
    except GatewayError as err:
        return events, err
    return events, None


def text_of(events: list[StreamEvent]) -> str:
    return "".join(e.text for e in events if isinstance(e, TextDelta))


def test_chat(upstream: Any, run: Run[Any]) -> None:
    deployment = upstream.deployment("ok", headers={"X-Team": "blue"})
    response = run(OpenAICompatProvider().chat(chat_request(max_tokens=9), deployment))
    assert response.text() == "Hello from upstream"
    assert response.usage == Usage(input_tokens=12, output_tokens=3)
    headers, body = upstream.last("ok")
    assert headers["Authorization"] == "Bearer sk-test"
    assert headers["X-Team"] == "blue"
    assert body["model"] == "up-model" and body["max_tokens"] == 9
    assert "stream" not in body


def test_no_authorization_without_key(upstream: Any, run: Run[Any]) -> None:
    run(OpenAICompatProvider().chat(chat_request(), upstream.deployment("nokey", api_key=None)))
    headers, _ = upstream.last("nokey")
    assert "Authorization" not in headers


def test_stream_text(upstream: Any, run: Run[Any]) -> None:
    events, err = run(collect(upstream.deployment("ok")))
    assert err is None
    assert text_of(events) == "Hello, world"
    assert [e for e in events if isinstance(e, StreamEnd)] == [events[-1]]
    assert events[-1] == StreamEnd("stop", Usage(input_tokens=9, output_tokens=4))
    _, body = upstream.last("ok")
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}


def test_stream_tool_call(upstream: Any, run: Run[Any]) -> None:
    events, err = run(collect(upstream.deployment("tools")))
    assert err is None
    assert events == [
        ToolCallStart(0, "call_w", "get_weather"),
        ToolCallDelta(0, '{"ci'),
        ToolCallDelta(0, 'ty": "Oslo"}'),
        StreamEnd("tool_calls"),
    ]


@pytest.mark.parametrize("kept", [1, 3, 5])
def test_stream_cut_raises_after_the_events_received(
    upstream: Any, run: Run[Any], kept: int
) -> None:
    events, err = run(collect(upstream.deployment(f"cut{kept}")))
    assert err is not None and err.kind == ErrorKind.UPSTREAM and err.upstream
    assert err.retryable
    assert text_of(events) == "".join(["", "Hel", "lo, ", "wor", "ld"][:kept])
    assert not any(isinstance(e, StreamEnd) for e in events)


def test_stream_ending_without_done_or_finish_raises(upstream: Any, run: Run[Any]) -> None:
    events, err = run(collect(upstream.deployment("eof4")))
    assert err is not None and err.kind == ErrorKind.UPSTREAM
    assert "ended before it finished" in err.message
    assert text_of(events) == "Hello, wor"


def test_stream_with_finish_but_no_done_is_complete(upstream: Any, run: Run[Any]) -> None:
    events, err = run(collect(upstream.deployment("eof6")))
    assert err is None
    assert events[-1] == StreamEnd("stop")


def test_stream_malformed_data(upstream: Any, run: Run[Any]) -> None:
    events, err = run(collect(upstream.deployment("badsse")))
    assert err is not None and err.kind == ErrorKind.UPSTREAM and "malformed" in err.message
    assert events == [TextDelta("Hel")]  # what came before the bad frame


def test_stream_from_server_answering_json(upstream: Any, run: Run[Any]) -> None:
    events, err = run(collect(upstream.deployment("jsonstream")))
    assert err is None
    assert text_of(events) == "Hello from upstream"
    assert events[-1] == StreamEnd("stop", Usage(input_tokens=12, output_tokens=3))


@pytest.mark.parametrize("stream", [False, True])
def test_rate_limit_with_retry_after(upstream: Any, run: Run[Any], stream: bool) -> None:
    deployment = upstream.deployment("status429")
    if stream:
        events, err = run(collect(deployment))
        assert events == []
    else:
        with pytest.raises(GatewayError) as caught:
            run(OpenAICompatProvider().chat(chat_request(), deployment))
        err = caught.value
    assert err is not None
    assert err.kind == ErrorKind.RATE_LIMIT and err.retry_after == 7
    assert "upstream said 429" in err.message


def test_unauthorized_makes_the_deployment_unusable(upstream: Any, run: Run[Any]) -> None:
    with pytest.raises(GatewayError) as caught:
        run(OpenAICompatProvider().chat(chat_request(), upstream.deployment("status401")))
    assert caught.value.unusable and caught.value.upstream


def test_server_error_is_retryable(upstream: Any, run: Run[Any]) -> None:
    with pytest.raises(GatewayError) as caught:
        run(OpenAICompatProvider().chat(chat_request(), upstream.deployment("status500")))
    assert caught.value.kind == ErrorKind.UPSTREAM
    assert caught.value.retryable and not caught.value.unusable


def test_malformed_json(upstream: Any, run: Run[Any]) -> None:
    with pytest.raises(GatewayError) as caught:
        run(OpenAICompatProvider().chat(chat_request(), upstream.deployment("badjson")))
    assert caught.value.kind == ErrorKind.UPSTREAM and "malformed JSON" in caught.value.message


@pytest.mark.parametrize("stream", [False, True])
def test_hanging_upstream_times_out(upstream: Any, run: Run[Any], stream: bool) -> None:
    deployment = upstream.deployment("hang", timeout=0.2)
    if stream:
        _, err = run(collect(deployment))
    else:
        with pytest.raises(GatewayError) as caught:
            run(OpenAICompatProvider().chat(chat_request(), deployment))
        err = caught.value
    assert err is not None and err.kind == ErrorKind.TIMEOUT and err.retryable


def test_stream_first_byte_timeout(upstream: Any, run: Run[Any]) -> None:
    _, err = run(collect(upstream.deployment("hang", timeout=30, stream_timeout=0.2)))
    assert err is not None and err.kind == ErrorKind.TIMEOUT


def test_connection_refused(run: Run[Any]) -> None:
    with socket.socket() as probe:  # a port nothing listens on once the probe closes
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    deployment = Deployment("d", "m", "openai", "m", api_base=f"http://127.0.0.1:{port}/v1")
    with pytest.raises(GatewayError) as caught:
        run(OpenAICompatProvider().chat(chat_request(), deployment))
    assert caught.value.kind == ErrorKind.UPSTREAM and caught.value.upstream


def test_continue_from(upstream: Any, run: Run[Any]) -> None:
    request = chat_request("write a poem", continue_from="Roses are red,")
    run(collect(upstream.deployment("continue"), request))
    _, body = upstream.last("continue")
    assert body["messages"] == [
        {"role": "user", "content": "write a poem"},
        {"role": "assistant", "content": "Roses are red,"},
        {"role": "user", "content": CONTINUE_PROMPT},
    ]


def test_max_tokens_name_follows_the_server() -> None:
    """OpenAI's own API wants `max_completion_tokens`; compatible servers know `max_tokens`."""
    request = chat_request(max_tokens=5)
    official = Deployment("d", "m", "openai", "gpt", api_base=None)
    local = Deployment("d", "m", "openai", "llama", api_base="http://localhost:8000/v1")
    official_body = json.loads(_chat_body(request, official, stream=False))
    local_body = json.loads(_chat_body(request, local, stream=False))
    assert official_body["max_completion_tokens"] == 5 and "max_tokens" not in official_body
    assert local_body["max_tokens"] == 5 and "max_completion_tokens" not in local_body


def test_legacy_completion_goes_to_chat(upstream: Any, run: Run[Any]) -> None:
    request = chat_request("prompt", extra={"legacy_completion": True, "seed": 1})
    response = run(OpenAICompatProvider().chat(request, upstream.deployment("legacy")))
    assert response.text() == "Hello from upstream"
    _, body = upstream.last("legacy")
    assert body["seed"] == 1 and "legacy_completion" not in body


def test_embed(upstream: Any, run: Run[Any]) -> None:
    request = EmbeddingRequest(
        "public", ["a", "b", "c"], dimensions=2, extra={"encoding_format": "base64"}
    )
    response = run(OpenAICompatProvider().embed(request, upstream.deployment("emb")))
    assert response.vectors == [[0.0, 0.25], [1.0, 0.25], [2.0, 0.25]]  # reordered by index
    assert response.usage.input_tokens == 6
    _, body = upstream.last("emb")
    assert body == {
        "model": "up-model",
        "input": ["a", "b", "c"],
        "encoding_format": "float",
        "dimensions": 2,
    }
