"""Whole answers and errors rendered for clients; upstream answers read back."""

from __future__ import annotations

from typing import Any

import pytest

from legion.llm.canonical import (
    ChatResponse,
    FinishReason,
    TextPart,
    ThinkingPart,
    ToolUsePart,
    Usage,
)
from legion.llm.errors import ErrorKind, GatewayError
from legion.llm.wire.anthropic_messages import (
    messages_response_from_wire,
    render_error,
    render_messages_response,
)


def test_message_object_with_every_block_kind() -> None:
    response = ChatResponse(
        id="chatcmpl-1",
        model="upstream-model",
        content=[
            ThinkingPart("plan", "sig"),
            TextPart("Hello"),
            ToolUsePart("toolu_1", "weather", '{"city": "Oslo"}'),
        ],
        finish_reason="tool_calls",
        usage=Usage(input_tokens=30, output_tokens=12, cache_read_tokens=10),
    )
    message = render_messages_response(response, "claude")
    assert message["id"] == "msg_chatcmpl-1"
    assert (message["type"], message["role"], message["model"]) == (
        "message",
        "assistant",
        "claude",
    )
    assert message["content"] == [
        {"type": "thinking", "thinking": "plan", "signature": "sig"},
        {"type": "text", "text": "Hello"},
        {"type": "tool_use", "id": "toolu_1", "name": "weather", "input": {"city": "Oslo"}},
    ]
    assert message["stop_reason"] == "tool_use"
    assert message["stop_sequence"] is None
    assert message["usage"] == {
        "input_tokens": 20,
        "output_tokens": 12,
        "cache_read_input_tokens": 10,
    }


def test_ids_already_in_anthropic_form_are_kept() -> None:
    message = render_messages_response(ChatResponse("msg_x", "m", []), "m")
    assert message["id"] == "msg_x"


@pytest.mark.parametrize(
    ("finish", "stop"),
    [("stop", "end_turn"), ("length", "max_tokens"), ("tool_calls", "tool_use")],
)
def test_stop_reasons(finish: FinishReason, stop: str) -> None:
    response = ChatResponse("1", "m", [TextPart("x")], finish_reason=finish)
    assert render_messages_response(response, "m")["stop_reason"] == stop


def test_redacted_thinking_and_empty_arguments() -> None:
    response = ChatResponse(
        "1", "m", [ThinkingPart("", "opaque"), ToolUsePart("t", "now", "")], "tool_calls"
    )
    content = render_messages_response(response, "m")["content"]
    assert content[0] == {"type": "redacted_thinking", "data": "opaque"}
    assert content[1]["input"] == {}


def test_unparseable_tool_arguments_from_a_model_are_an_upstream_fault() -> None:
    response = ChatResponse("1", "m", [ToolUsePart("t", "f", '{"a": ')], "tool_calls")
    with pytest.raises(GatewayError) as caught:
        render_messages_response(response, "m")
    assert caught.value.kind == ErrorKind.UPSTREAM


@pytest.mark.parametrize(
    ("kind", "status", "wire_type"),
    [
        (ErrorKind.INVALID_REQUEST, 400, "invalid_request_error"),
        (ErrorKind.UNSUPPORTED, 400, "invalid_request_error"),
        (ErrorKind.CONTEXT_OVERFLOW, 400, "invalid_request_error"),
        (ErrorKind.AUTHENTICATION, 401, "authentication_error"),
        (ErrorKind.PERMISSION, 403, "permission_error"),
        (ErrorKind.NOT_FOUND, 404, "not_found_error"),
        (ErrorKind.REQUEST_TOO_LARGE, 413, "request_too_large"),
        (ErrorKind.RATE_LIMIT, 429, "rate_limit_error"),
        (ErrorKind.UPSTREAM, 502, "api_error"),
        (ErrorKind.OVERLOADED, 503, "overloaded_error"),
        (ErrorKind.TIMEOUT, 504, "timeout_error"),
        (ErrorKind.INTERNAL, 500, "api_error"),
    ],
)
def test_error_rendering(kind: ErrorKind, status: int, wire_type: str) -> None:
    assert render_error(GatewayError(kind, "why")) == (
        status,
        {"type": "error", "error": {"type": wire_type, "message": "why"}},
    )


def upstream_message(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "msg_up",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5",
        "content": [
            {"type": "thinking", "thinking": "hm", "signature": "s"},
            {"type": "redacted_thinking", "data": "zz"},
            {"type": "text", "text": "Hi"},
            {"type": "tool_use", "id": "toolu_1", "name": "f", "input": {"x": [1, 2]}},
            {"type": "server_tool_use", "id": "srv", "name": "web_search", "input": {}},
        ],
        "stop_reason": "tool_use",
        "stop_sequence": None,
        "usage": {
            "input_tokens": 10,
            "cache_creation_input_tokens": 3,
            "cache_read_input_tokens": 7,
            "output_tokens": 9,
        },
    }
    body.update(overrides)
    return body


def test_upstream_message_read_back() -> None:
    response = messages_response_from_wire(upstream_message())
    assert response.id == "msg_up"
    assert response.model == "claude-sonnet-4-5"
    assert response.content == [
        ThinkingPart("hm", "s"),
        ThinkingPart("", "zz"),
        TextPart("Hi"),
        ToolUsePart("toolu_1", "f", '{"x":[1,2]}'),
    ]
    assert response.finish_reason == "tool_calls"
    assert response.usage == Usage(input_tokens=20, output_tokens=9, cache_read_tokens=7)


@pytest.mark.parametrize(
    ("stop", "finish"),
    [
        ("end_turn", "stop"),
        ("stop_sequence", "stop"),
        ("max_tokens", "length"),
        ("refusal", "content_filter"),
    ],
)
def test_upstream_stop_reasons(stop: str, finish: str) -> None:
    assert messages_response_from_wire(upstream_message(stop_reason=stop)).finish_reason == finish


@pytest.mark.parametrize(
    "body",
    [
        [],
        {"id": "x"},
        upstream_message(content="text"),
        upstream_message(content=[{"text": "no type"}]),
        upstream_message(content=[{"type": "tool_use", "input": {}}]),
    ],
)
def test_malformed_upstream_message_is_an_upstream_error(body: Any) -> None:
    with pytest.raises(GatewayError) as caught:
        messages_response_from_wire(body)
    assert caught.value.kind == ErrorKind.UPSTREAM
    assert caught.value.upstream
    assert "malformed" in caught.value.message
