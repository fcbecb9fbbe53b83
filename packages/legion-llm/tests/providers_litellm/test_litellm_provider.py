"""The litellm adapter making real litellm calls against the mock upstream (OpenAI format)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from types import ModuleType

import httpx
import pytest

from legion.llm.canonical import (
    ChatRequest,
    EmbeddingRequest,
    Message,
    StreamEnd,
    StreamEvent,
    TextDelta,
    TextPart,
    Tool,
    ToolCallDelta,
    ToolCallStart,
)
from legion.llm.deployment import Deployment
from legion.llm.errors import ErrorKind, GatewayError
from legion.llm.providers.litellm_provider import LiteLLMProvider, chat_args, map_error
from legion.llm.testing.mock_answers import embedding
from legion.llm.testing.mock_upstream import MockUpstream

PATH = "/v1/chat/completions"

# litellm's own use of deprecated pydantic attributes, not ours.
pytestmark = [
    pytest.mark.filterwarnings("ignore::pydantic.warnings.PydanticDeprecatedSince211"),
    pytest.mark.filterwarnings("ignore:Item .* is using the `ReadOnly` qualifier:UserWarning"),
]


def _request(text: str = "hello", **fields: object) -> ChatRequest:
    return ChatRequest(
        model="mock",
        messages=[Message("user", [TextPart(text)])],
        **fields,  # type: ignore[arg-type]
    )


async def _collect(events: AsyncIterator[StreamEvent], into: list[StreamEvent]) -> None:
    async for event in events:
        into.append(event)


def test_chat(loop: asyncio.AbstractEventLoop, mock: MockUpstream, deployment: Deployment) -> None:
    request = _request("hello", max_tokens=50, temperature=0.5)
    response = loop.run_until_complete(LiteLLMProvider().chat(request, deployment))
    assert response.text() == mock.answer_for("hello")
    assert response.finish_reason == "stop"
    assert response.usage.input_tokens == 1
    assert response.usage.output_tokens == 8
    sent = mock.last_body(PATH)
    assert sent["model"] == "mock-model"
    assert sent["max_tokens"] == 50 and sent["temperature"] == 0.5
    assert sent["messages"] == [{"role": "user", "content": "hello"}]
    assert not sent.get("stream")


def test_stream(
    loop: asyncio.AbstractEventLoop, mock: MockUpstream, deployment: Deployment
) -> None:
    events: list[StreamEvent] = []
    loop.run_until_complete(_collect(LiteLLMProvider().stream(_request("hi"), deployment), events))
    texts = [e.text for e in events if isinstance(e, TextDelta)]
    assert "".join(texts) == mock.answer_for("hi")
    end = events[-1]
    assert isinstance(end, StreamEnd)
    assert end.finish_reason == "stop"
    assert end.usage.output_tokens == 8
    assert sum(isinstance(e, StreamEnd) for e in events) == 1
    sent = mock.last_body(PATH)
    assert sent["stream"] is True
    assert sent["stream_options"] == {"include_usage": True}


def test_stream_tool_call(loop: asyncio.AbstractEventLoop, deployment: Deployment) -> None:
    tool = Tool("lookup", "find things", {"type": "object", "properties": {}})
    events: list[StreamEvent] = []
    request = _request("call lookup please", tools=[tool])
    loop.run_until_complete(_collect(LiteLLMProvider().stream(request, deployment), events))
    starts = [e for e in events if isinstance(e, ToolCallStart)]
    assert [(s.index, s.name) for s in starts] == [(0, "lookup")]
    arguments = "".join(e.arguments for e in events if isinstance(e, ToolCallDelta))
    assert arguments == '{"echo": "call lookup please"}'
    end = events[-1]
    assert isinstance(end, StreamEnd) and end.finish_reason == "tool_calls"


def test_continuation_is_sent_in_openai_convention(
    loop: asyncio.AbstractEventLoop, mock: MockUpstream, deployment: Deployment
) -> None:
    partial = "".join(mock.chunks_for("hello")[:3])
    request = _request("hello", continue_from=partial)
    response = loop.run_until_complete(LiteLLMProvider().chat(request, deployment))
    assert partial + response.text() == mock.answer_for("hello")


def test_rate_limit(
    loop: asyncio.AbstractEventLoop, mock: MockUpstream, deployment: Deployment
) -> None:
    mock.set_fault("status", status=429, retry_after=3)
    with pytest.raises(GatewayError) as caught:
        loop.run_until_complete(LiteLLMProvider().chat(_request(), deployment))
    err = caught.value
    assert err.kind is ErrorKind.RATE_LIMIT
    assert err.upstream and not err.unusable
    assert err.retry_after == 3.0
    assert mock.count(PATH) == 1


def test_bad_key_makes_the_deployment_unusable(
    loop: asyncio.AbstractEventLoop, mock: MockUpstream, deployment: Deployment
) -> None:
    mock.set_fault("status", status=401)
    with pytest.raises(GatewayError) as caught:
        loop.run_until_complete(LiteLLMProvider().chat(_request(), deployment))
    assert caught.value.unusable and caught.value.upstream


def test_overloaded_upstream_is_retryable(
    loop: asyncio.AbstractEventLoop, mock: MockUpstream, deployment: Deployment
) -> None:
    mock.set_fault("status", status=503)
    with pytest.raises(GatewayError) as caught:
        loop.run_until_complete(LiteLLMProvider().chat(_request(), deployment))
    assert caught.value.kind in (ErrorKind.OVERLOADED, ErrorKind.UPSTREAM)
    assert caught.value.retryable and caught.value.upstream


@pytest.mark.parametrize("k", [0, 3])
def test_broken_stream_raises_after_the_partial_events(
    loop: asyncio.AbstractEventLoop, mock: MockUpstream, deployment: Deployment, k: int
) -> None:
    mock.set_fault("die_after", chunks=k)
    events: list[StreamEvent] = []
    with pytest.raises(GatewayError) as caught:
        loop.run_until_complete(
            _collect(LiteLLMProvider().stream(_request("hi"), deployment), events)
        )
    assert caught.value.upstream and caught.value.retryable
    assert [e.text for e in events if isinstance(e, TextDelta)] == mock.chunks_for("hi")[:k]
    assert not any(isinstance(e, StreamEnd) for e in events)


def test_timeout(
    loop: asyncio.AbstractEventLoop, mock: MockUpstream, deployment: Deployment
) -> None:
    mock.set_fault("hang")
    deployment.timeout = 0.3
    with pytest.raises(GatewayError) as caught:
        loop.run_until_complete(LiteLLMProvider().chat(_request(), deployment))
    assert caught.value.kind is ErrorKind.TIMEOUT


def test_embed(loop: asyncio.AbstractEventLoop, mock: MockUpstream, deployment: Deployment) -> None:
    deployment.model = "openai/mock-embed"
    request = EmbeddingRequest(model="embed", inputs=["alpha", "beta"])
    response = loop.run_until_complete(LiteLLMProvider().embed(request, deployment))
    assert response.vectors == [embedding("alpha", 8), embedding("beta", 8)]
    assert response.usage.input_tokens == 2
    assert mock.last_body("/v1/embeddings")["input"] == ["alpha", "beta"]


def test_chat_args_layering(litellm: ModuleType) -> None:
    deployment = Deployment(
        id="d",
        model_name="x",
        provider="litellm",
        model="bedrock/some-model",
        params={"aws_region_name": "eu-west-1", "temperature": 0.1},
        headers={"X-Trace": "1"},
    )
    request = _request("q", temperature=0.9, extra={"seed": 7, "anthropic_beta": "x"})
    args = chat_args(request, deployment, stream=False)
    assert args["model"] == "bedrock/some-model"
    assert args["aws_region_name"] == "eu-west-1"
    assert args["temperature"] == 0.9
    assert args["seed"] == 7
    assert "anthropic_beta" not in args
    assert "api_base" not in args and "api_key" not in args
    assert args["extra_headers"] == {"X-Trace": "1"}
    assert args["max_retries"] == 0


def test_map_error_kinds(litellm: ModuleType) -> None:
    response = httpx.Response(400, request=httpx.Request("POST", "http://x"))
    overflow = litellm.ContextWindowExceededError("too long", "m", "openai", response)
    assert map_error(overflow, "l").kind is ErrorKind.CONTEXT_OVERFLOW
    bad = litellm.BadRequestError("bad", "m", "openai", response)
    assert map_error(bad, "l").kind is ErrorKind.INVALID_REQUEST
    timeout = litellm.Timeout("slow", "m", "openai")
    assert map_error(timeout, "l").kind is ErrorKind.TIMEOUT
    assert all(map_error(e, "l").upstream for e in (overflow, bad, timeout))
