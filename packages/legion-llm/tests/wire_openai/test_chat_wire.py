"""Chat rendering to clients, the upstream request body, round trips through both, and the
upstream stream parser."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from legion.llm import sse
from legion.llm.canonical import (
    CONTINUE_PROMPT,
    ChatRequest,
    ChatResponse,
    ImagePart,
    Message,
    StreamEnd,
    StreamMeta,
    TextDelta,
    TextPart,
    ThinkingDelta,
    ThinkingPart,
    ToolCallDelta,
    ToolCallStart,
    ToolResultPart,
    ToolUsePart,
    Usage,
)
from legion.llm.errors import ErrorKind, GatewayError
from legion.llm.wire.openai_chat import (
    ChatStreamParser,
    ChatStreamRenderer,
    chat_request_to_wire,
    chat_response_from_wire,
    parse_chat_request,
    render_chat_response,
)
from legion.llm.wire.openai_errors import error_headers, render_error

META = StreamMeta(id="chatcmpl-9", model="public", created=123, input_tokens=5)


def frames(raw: bytes) -> list[Any]:
    """The data of each SSE frame, decoded unless it is `[DONE]`."""
    out: list[Any] = []
    for block in raw.decode().split("\n\n"):
        if block:
            assert block.startswith("data: ")
            data = block.removeprefix("data: ")
            out.append(data if data == "[DONE]" else json.loads(data))
    return out


# --- rendering ----------------------------------------------------------------------------------


def test_render_text_response() -> None:
    response = ChatResponse(
        "chatcmpl-1",
        "upstream-name",
        [ThinkingPart("hmm"), TextPart("Hi "), TextPart("there")],
        "length",
        Usage(input_tokens=3, output_tokens=4, thinking_tokens=1, cache_read_tokens=2),
        created=99,
    )
    body = render_chat_response(response, "public")
    assert body["object"] == "chat.completion" and body["model"] == "public"
    assert body["id"] == "chatcmpl-1" and body["created"] == 99
    choice = body["choices"][0]
    assert choice["message"] == {"role": "assistant", "content": "Hi there", "refusal": None}
    assert choice["finish_reason"] == "length"
    assert body["usage"]["prompt_tokens"] == 3
    assert body["usage"]["completion_tokens"] == 4
    assert body["usage"]["total_tokens"] == 7
    assert body["usage"]["completion_tokens_details"] == {"reasoning_tokens": 1}


def test_render_tool_call_response() -> None:
    call = ToolUsePart("call_1", "f", '{"a": 1}')
    body = render_chat_response(ChatResponse("x", "m", [call], "tool_calls"), "public")
    message = body["choices"][0]["message"]
    assert message["content"] is None
    assert message["tool_calls"] == [
        {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": '{"a": 1}'}}
    ]
    assert body["choices"][0]["finish_reason"] == "tool_calls"


def test_stream_renderer_frames() -> None:
    renderer = ChatStreamRenderer(META, include_usage=True)
    raw = renderer.start()
    raw += renderer.event(TextDelta("Hel"))
    raw += renderer.event(ThinkingDelta("not shown"))
    raw += renderer.event(ToolCallStart(0, "call_1", "f"))
    raw += renderer.event(ToolCallDelta(0, '{"a"'))
    raw += renderer.finish(StreamEnd("tool_calls", Usage(output_tokens=6)))
    chunks = frames(raw)
    assert chunks[-1] == "[DONE]"
    assert all(c["id"] == "chatcmpl-9" and c["model"] == "public" for c in chunks[:-1])
    assert all(c["object"] == "chat.completion.chunk" for c in chunks[:-1])
    deltas = [c["choices"][0]["delta"] for c in chunks[:-2]]
    assert deltas[0] == {"role": "assistant", "content": ""}
    assert deltas[1] == {"content": "Hel"}
    assert deltas[2] == {
        "tool_calls": [
            {
                "index": 0,
                "id": "call_1",
                "type": "function",
                "function": {"name": "f", "arguments": ""},
            }
        ]
    }
    assert deltas[3] == {"tool_calls": [{"index": 0, "function": {"arguments": '{"a"'}}]}
    assert chunks[4]["choices"][0]["finish_reason"] == "tool_calls"
    usage_chunk = chunks[5]
    assert usage_chunk["choices"] == []
    assert usage_chunk["usage"]["prompt_tokens"] == 5  # the gateway's estimate stands in
    assert usage_chunk["usage"]["completion_tokens"] == 6


def test_stream_renderer_without_usage_and_finish_once() -> None:
    renderer = ChatStreamRenderer(META, include_usage=False)
    end = StreamEnd("stop")
    chunks = frames(renderer.event(end) + renderer.finish(end) + renderer.error(_err()))
    assert [c if c == "[DONE]" else c["choices"][0]["finish_reason"] for c in chunks] == [
        "stop",
        "[DONE]",
    ]


def _err() -> GatewayError:
    return GatewayError(ErrorKind.RATE_LIMIT, "slow down", retry_after=2.5)


def test_stream_renderer_error_frame() -> None:
    chunks = frames(ChatStreamRenderer(META, True).error(_err()))
    assert chunks[0] == {
        "error": {
            "message": "slow down",
            "type": "rate_limit_error",
            "param": None,
            "code": "rate_limit_exceeded",
        }
    }
    assert chunks[1] == "[DONE]"


@pytest.mark.parametrize(
    ("kind", "status", "error_type"),
    [
        (ErrorKind.INVALID_REQUEST, 400, "invalid_request_error"),
        (ErrorKind.AUTHENTICATION, 401, "authentication_error"),
        (ErrorKind.PERMISSION, 403, "permission_error"),
        (ErrorKind.NOT_FOUND, 404, "not_found_error"),
        (ErrorKind.CONTEXT_OVERFLOW, 400, "invalid_request_error"),
        (ErrorKind.RATE_LIMIT, 429, "rate_limit_error"),
        (ErrorKind.UPSTREAM, 502, "api_error"),
        (ErrorKind.OVERLOADED, 503, "server_error"),
        (ErrorKind.TIMEOUT, 504, "server_error"),
        (ErrorKind.INTERNAL, 500, "server_error"),
    ],
)
def test_render_error(kind: ErrorKind, status: int, error_type: str) -> None:
    got_status, body = render_error(GatewayError(kind, "boom", param="messages[1]"))
    assert got_status == status
    assert body["error"]["type"] == error_type
    assert body["error"]["message"] == "boom" and body["error"]["param"] == "messages[1]"


def test_context_overflow_uses_openai_code() -> None:
    _, body = render_error(GatewayError(ErrorKind.CONTEXT_OVERFLOW, "too long"))
    assert body["error"]["code"] == "context_length_exceeded"


def test_error_headers() -> None:
    assert error_headers(_err()) == {"Retry-After": "3"}
    assert error_headers(GatewayError(ErrorKind.UPSTREAM, "x")) == {}


# --- the upstream body and round trips ----------------------------------------------------------

CLIENT_BODY: dict[str, Any] = {
    "model": "public",
    "messages": [
        {"role": "system", "content": "be brief"},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "look"},
                {"type": "image_url", "image_url": {"url": "https://x/cat.png", "detail": "high"}},
            ],
        },
        {
            "role": "assistant",
            "content": "checking",
            "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}},
                {"id": "c2", "type": "function", "function": {"name": "g", "arguments": '{"a":1}'}},
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": "one"},
        {"role": "tool", "tool_call_id": "c2", "content": "two"},
        {"role": "user", "content": "thanks", "name": "bob"},
    ],
    "tools": [
        {
            "type": "function",
            "function": {"name": "f", "description": "d", "parameters": {"type": "object"}},
        },
        {"type": "function", "function": {"name": "g", "parameters": {"type": "object"}}},
    ],
    "tool_choice": "required",
    "max_tokens": 100,
    "temperature": 0.5,
    "top_p": 0.8,
    "stop": ["x", "y"],
    "user": "u",
    "response_format": {"type": "json_object"},
    "seed": 3,
    "top_k": 20,
}


def test_round_trip_preserves_everything() -> None:
    first = parse_chat_request(CLIENT_BODY)
    wire = chat_request_to_wire(first, "public", stream=False)
    assert wire["messages"] == CLIENT_BODY["messages"]
    second = parse_chat_request(wire)
    assert second == first
    assert "stream" not in wire and "stream_options" not in wire
    assert wire["seed"] == 3 and wire["top_k"] == 20


def test_streaming_body_asks_for_usage() -> None:
    request = parse_chat_request({**CLIENT_BODY, "stream": True, "stream_options": {"x": 1}})
    wire = chat_request_to_wire(request, "up-model", stream=True)
    assert wire["model"] == "up-model"
    assert wire["stream"] is True
    assert wire["stream_options"] == {"x": 1, "include_usage": True}


def test_thinking_dropped_and_legacy_marker_not_forwarded() -> None:
    request = ChatRequest(
        "m",
        [
            Message("user", [TextPart("q")]),
            Message("assistant", [ThinkingPart("secret", "sig"), TextPart("a")]),
        ],
        extra={"legacy_completion": True, "parallel_tool_calls": True},
        metadata={"tag": "t"},
    )
    wire = chat_request_to_wire(request, "m", stream=False)
    assert wire["messages"][1] == {"role": "assistant", "content": "a"}
    assert "legacy_completion" not in wire
    assert "parallel_tool_calls" not in wire  # OpenAI refuses it without tools
    assert "metadata" not in wire  # the gateway's own tags


def test_anthropic_only_extras_are_translated_or_dropped() -> None:
    request = parse_chat_request(CLIENT_BODY)
    request.extra.update(
        thinking={"type": "enabled", "budget_tokens": 1024}, disable_parallel_tool_use=True
    )
    wire = chat_request_to_wire(request, "m", stream=False)
    assert "thinking" not in wire and "disable_parallel_tool_use" not in wire
    assert wire["parallel_tool_calls"] is False


def test_tool_results_inside_user_messages_become_tool_messages() -> None:
    """Anthropic-style user turns carry tool results; OpenAI wants them as tool messages first."""
    request = ChatRequest(
        "m",
        [
            Message("assistant", [ToolUsePart("t1", "shot", "{}")]),
            Message(
                "user",
                [
                    ToolResultPart("t1", [TextPart("done"), ImagePart("data:image/png;base64,AA")]),
                    ToolResultPart("t2", [TextPart("bad")], is_error=True),
                    TextPart("and now?"),
                ],
            ),
        ],
    )
    messages = chat_request_to_wire(request, "m", stream=False)["messages"]
    assert messages[1] == {"role": "tool", "tool_call_id": "t1", "content": "done"}
    assert messages[2] == {"role": "tool", "tool_call_id": "t2", "content": "[tool error] bad"}
    assert messages[3] == {
        "role": "user",
        "content": [{"type": "image_url", "image_url": {"url": "data:image/png;base64,AA"}}],
    }
    assert messages[4] == {"role": "user", "content": "and now?"}


def test_continue_from_appends_partial_and_prompt() -> None:
    request = parse_chat_request(CLIENT_BODY)
    request.continue_from = "The answer is"
    messages = chat_request_to_wire(request, "m", stream=True)["messages"]
    assert messages[-2:] == [
        {"role": "assistant", "content": "The answer is"},
        {"role": "user", "content": CONTINUE_PROMPT},
    ]


def test_response_round_trip() -> None:
    response = ChatResponse(
        "chatcmpl-7",
        "m",
        [TextPart("ok"), ToolUsePart("c", "f", "{}")],
        "tool_calls",
        Usage(4, 5, 1, 2),
        created=42,
    )
    back = chat_response_from_wire(render_chat_response(response, "m"))
    assert back == response


def test_response_from_wire_reads_variants() -> None:
    body = {
        "choices": [
            {
                "message": {
                    "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}],
                    "reasoning_content": "because",
                    "tool_calls": [{"function": {"name": "f", "arguments": {"k": 1}}}],
                },
                "finish_reason": "stop",
            }
        ]
    }
    response = chat_response_from_wire(body)
    assert response.content[0] == ThinkingPart("because")
    assert response.text() == "ab"
    call = response.tool_calls()[0]
    assert (call.name, json.loads(call.arguments)) == ("f", {"k": 1})
    assert call.id.startswith("call_")
    assert response.finish_reason == "tool_calls"  # servers that say "stop" after tool calls


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ([], "not a JSON object"),
        ({"choices": []}, "no choices"),
        ({"choices": [{"message": "hi"}]}, "message"),
        ({"choices": [{"message": {"content": 3}}]}, "content"),
        ({"choices": [{"message": {"tool_calls": [{"function": {}}]}}]}, "name"),
        ({"error": {"message": "nope"}}, "nope"),
    ],
)
def test_malformed_upstream_response(body: Any, fragment: str) -> None:
    with pytest.raises(GatewayError) as caught:
        chat_response_from_wire(body)
    assert caught.value.kind == ErrorKind.UPSTREAM and caught.value.upstream
    assert fragment in caught.value.message


# --- the upstream stream parser -----------------------------------------------------------------


def _upstream_sse(chunks: list[dict[str, Any]]) -> bytes:
    return b"".join(b"data: " + json.dumps(c).encode() + b"\n\n" for c in chunks)


def _delta(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {"choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}


async def _pieces(raw: bytes, size: int) -> AsyncIterator[bytes]:
    for start in range(0, len(raw), size):
        yield raw[start : start + size]


async def _parse_split(raw: bytes, size: int) -> tuple[list[Any], StreamEnd]:
    parser = ChatStreamParser()
    events: list[Any] = []
    async for message in sse.parse(_pieces(raw, size)):
        if message.data == "[DONE]":
            break
        events.extend(parser.feed(json.loads(message.data)))
    return events, parser.end()


STREAM = [
    _delta({"role": "assistant", "content": ""}),
    _delta({"reasoning_content": "think"}),
    _delta({"content": "Hé"}),
    _delta({"content": "llo"}),
    _delta(
        {
            "tool_calls": [
                {
                    "index": 0,
                    "id": "a",
                    "type": "function",
                    "function": {"name": "f", "arguments": ""},
                }
            ]
        }
    ),
    _delta({"tool_calls": [{"index": 0, "function": {"arguments": '{"x":'}}]}),
    _delta({"tool_calls": [{"index": 0, "function": {"arguments": "1}"}}]}),
    _delta(
        {
            "tool_calls": [
                {"index": 1, "id": "b", "function": {"name": "g", "arguments": "{}"}},
            ]
        }
    ),
    _delta({}, "function_call"),
    {"choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 8}},
]


@pytest.mark.parametrize("size", [1, 5, 13, 10_000])
def test_stream_parser_with_odd_splits(size: int) -> None:
    raw = _upstream_sse(STREAM) + b"data: [DONE]\n\n"
    events, end = asyncio.run(_parse_split(raw, size))
    assert events == [
        ThinkingDelta("think"),
        TextDelta("Hé"),
        TextDelta("llo"),
        ToolCallStart(0, "a", "f"),
        ToolCallDelta(0, '{"x":'),
        ToolCallDelta(0, "1}"),
        ToolCallStart(1, "b", "g"),
        ToolCallDelta(1, "{}"),
    ]
    assert end == StreamEnd("tool_calls", Usage(input_tokens=3, output_tokens=8))


def test_stream_parser_renumbers_reused_indexes() -> None:
    parser = ChatStreamParser()
    first = parser.feed(
        _delta({"tool_calls": [{"index": 0, "id": "a", "function": {"name": "f"}}]})
    )
    second = parser.feed(
        _delta(
            {"tool_calls": [{"index": 0, "id": "b", "function": {"name": "g", "arguments": "{}"}}]}
        )
    )
    assert first == [ToolCallStart(0, "a", "f")]
    assert second == [ToolCallStart(1, "b", "g"), ToolCallDelta(1, "{}")]
    assert not parser.finished
    assert parser.end().finish_reason == "tool_calls"


def test_stream_parser_errors() -> None:
    parser = ChatStreamParser()
    with pytest.raises(GatewayError) as caught:
        parser.feed({"error": {"message": "overloaded"}})
    assert caught.value.kind == ErrorKind.UPSTREAM and "overloaded" in caught.value.message
    with pytest.raises(GatewayError):
        parser.feed({"choices": "x"})
    with pytest.raises(GatewayError):
        parser.feed(["not", "an", "object"])


def test_parsed_stream_renders_back_to_the_same_text() -> None:
    events, end = asyncio.run(_parse_split(_upstream_sse(STREAM), 3))
    renderer = ChatStreamRenderer(META, include_usage=True)
    raw = renderer.start() + b"".join(renderer.event(e) for e in events) + renderer.finish(end)
    chunks = [c for c in frames(raw) if c != "[DONE]" and c["choices"]]
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks)
    assert text == "Héllo"
