"""Legacy completions, the Responses API and embeddings: parsing and rendering."""

from __future__ import annotations

import base64
import json
import struct
from typing import Any

import pytest

from legion.llm.canonical import (
    ChatResponse,
    EmbeddingResponse,
    ImagePart,
    StreamEnd,
    StreamEvent,
    StreamMeta,
    TextDelta,
    TextPart,
    ThinkingDelta,
    ToolCallDelta,
    ToolCallStart,
    ToolChoice,
    ToolResultPart,
    ToolUsePart,
    Usage,
)
from legion.llm.errors import ErrorKind, GatewayError
from legion.llm.wire.openai_chat import chat_request_to_wire, parse_chat_request
from legion.llm.wire.openai_completions import (
    CompletionStreamRenderer,
    parse_completion_request,
    render_completion_response,
)
from legion.llm.wire.openai_embeddings import (
    parse_embedding_request,
    render_embedding_response,
    render_models,
)
from legion.llm.wire.openai_responses import (
    ResponsesStreamRenderer,
    parse_responses_request,
    render_responses_response,
)

META = StreamMeta(id="resp_1", model="public", created=77, input_tokens=4)


def rejected(parse: Any, payload: Any) -> GatewayError:
    with pytest.raises(GatewayError) as caught:
        parse(payload)
    return caught.value


# --- completions --------------------------------------------------------------------------------


def test_completion_request() -> None:
    request = parse_completion_request(
        {"model": "m", "prompt": ["Once"], "max_tokens": 3, "stop": "\n", "seed": 1, "echo": False}
    )
    assert [(m.role, m.text()) for m in request.messages] == [("user", "Once")]
    assert request.max_tokens == 3 and request.stop == ["\n"]
    assert request.extra == {"seed": 1, "legacy_completion": True}


@pytest.mark.parametrize(
    ("payload", "kind", "param"),
    [
        ({"model": "m"}, ErrorKind.INVALID_REQUEST, "prompt"),
        ({"model": "m", "prompt": 5}, ErrorKind.INVALID_REQUEST, "prompt"),
        ({"model": "m", "prompt": [1, 2, 3]}, ErrorKind.UNSUPPORTED, "prompt"),
        ({"model": "m", "prompt": [[1, 2]]}, ErrorKind.UNSUPPORTED, "prompt"),
        ({"model": "m", "prompt": ["a", "b"]}, ErrorKind.UNSUPPORTED, "prompt"),
        ({"model": "m", "prompt": "a", "suffix": "z"}, ErrorKind.UNSUPPORTED, "suffix"),
        ({"model": "m", "prompt": "a", "echo": True}, ErrorKind.UNSUPPORTED, "echo"),
        ({"model": "m", "prompt": "a", "best_of": 2}, ErrorKind.UNSUPPORTED, "best_of"),
        ({"model": "m", "prompt": "a", "logprobs": 2}, ErrorKind.UNSUPPORTED, "logprobs"),
        ({"model": "m", "prompt": "a", "n": 2}, ErrorKind.UNSUPPORTED, "n"),
        ({"prompt": "a"}, ErrorKind.INVALID_REQUEST, "model"),
    ],
)
def test_completion_rejections(payload: Any, kind: ErrorKind, param: str) -> None:
    err = rejected(parse_completion_request, payload)
    assert (err.kind, err.param) == (kind, param)


def test_completion_render_and_stream() -> None:
    response = ChatResponse("cmpl-1", "m", [TextPart("done")], "tool_calls", Usage(2, 3))
    body = render_completion_response(response, "public")
    assert body["object"] == "text_completion"
    assert body["choices"][0]["text"] == "done"
    assert body["choices"][0]["finish_reason"] == "stop"
    renderer = CompletionStreamRenderer(META, include_usage=True)
    raw = renderer.start() + renderer.event(TextDelta("ab")) + renderer.finish(StreamEnd())
    blocks = [b.removeprefix("data: ") for b in raw.decode().split("\n\n") if b]
    assert blocks[-1] == "[DONE]"
    chunks = [json.loads(b) for b in blocks[:-1]]
    assert [c["choices"][0]["text"] for c in chunks[:2]] == ["ab", ""]
    assert chunks[1]["choices"][0]["finish_reason"] == "stop"
    assert chunks[2]["choices"] == [] and chunks[2]["usage"]["prompt_tokens"] == 4


# --- responses: parsing -------------------------------------------------------------------------


def test_responses_input_items() -> None:
    request = parse_responses_request(
        {
            "model": "m",
            "instructions": "be terse",
            "input": [
                {"role": "developer", "content": "no jokes"},
                {
                    "type": "message",
                    "role": "user",
                    "content": [
                        {"type": "input_text", "text": "see"},
                        {"type": "input_image", "image_url": "https://x/a.png", "detail": "auto"},
                    ],
                },
                {
                    "type": "message",
                    "role": "assistant",
                    "content": [{"type": "output_text", "text": "calling", "annotations": []}],
                },
                {"type": "reasoning", "id": "rs_1", "summary": []},
                {"type": "function_call", "call_id": "c1", "name": "f", "arguments": "{}"},
                {"type": "function_call", "call_id": "c2", "name": "g", "arguments": "{}"},
                {"type": "function_call_output", "call_id": "c1", "output": "r1"},
                {
                    "type": "function_call_output",
                    "call_id": "c2",
                    "output": [{"type": "input_text", "text": "r2"}],
                },
            ],
            "tools": [{"type": "function", "name": "f", "parameters": {"type": "object"}}],
            "tool_choice": {"type": "function", "name": "f"},
            "max_output_tokens": 64,
            "temperature": 0.1,
            "reasoning": {"effort": "medium", "summary": "auto"},
            "text": {
                "format": {"type": "json_schema", "name": "out", "schema": {"type": "object"}}
            },
            "store": True,
            "parallel_tool_calls": False,
        }
    )
    roles = [m.role for m in request.messages]
    assert roles == ["system", "system", "user", "assistant", "tool", "tool"]
    assert request.messages[0].text() == "be terse"
    assert request.messages[2].content[1] == ImagePart("https://x/a.png", "auto")
    assert request.messages[3].content == [
        TextPart("calling"),
        ToolUsePart("c1", "f", "{}"),
        ToolUsePart("c2", "g", "{}"),
    ]
    assert request.messages[5].content == [ToolResultPart("c2", [TextPart("r2")])]
    assert request.tool_choice == ToolChoice("tool", "f")
    assert request.max_tokens == 64 and request.hints.effort == "moderate"
    assert request.response_format == {
        "type": "json_schema",
        "json_schema": {"name": "out", "schema": {"type": "object"}},
    }
    assert request.extra == {"reasoning_effort": "medium", "parallel_tool_calls": False}
    # and it makes a valid chat body for an upstream
    wire = chat_request_to_wire(request, "up", stream=False)
    assert parse_chat_request(wire).messages == request.messages


@pytest.mark.parametrize(
    ("payload", "kind", "param"),
    [
        ({"model": "m"}, ErrorKind.INVALID_REQUEST, "input"),
        ({"model": "m", "input": 3}, ErrorKind.INVALID_REQUEST, "input"),
        ({"model": "m", "input": "x", "previous_response_id": "r"}, ErrorKind.UNSUPPORTED, None),
        ({"model": "m", "input": "x", "conversation": "c"}, ErrorKind.UNSUPPORTED, None),
        ({"model": "m", "input": "x", "background": True}, ErrorKind.UNSUPPORTED, "background"),
        (
            {"model": "m", "input": "x", "tools": [{"type": "file_search"}]},
            ErrorKind.UNSUPPORTED,
            "tools[0].type",
        ),
        (
            {"model": "m", "input": "x", "tools": [{"type": "function"}]},
            ErrorKind.INVALID_REQUEST,
            "tools[0].name",
        ),
        (
            {"model": "m", "input": [{"role": "user", "content": [{"type": "input_file"}]}]},
            ErrorKind.UNSUPPORTED,
            "input[0].content[0]",
        ),
        (
            {"model": "m", "input": [{"role": "user", "content": [{"type": "nope"}]}]},
            ErrorKind.INVALID_REQUEST,
            "input[0].content[0].type",
        ),
        (
            {"model": "m", "input": [{"role": "critic", "content": "x"}]},
            ErrorKind.INVALID_REQUEST,
            "input[0].role",
        ),
        (
            {"model": "m", "input": [{"type": "function_call", "name": "f", "arguments": ""}]},
            ErrorKind.INVALID_REQUEST,
            "input[0].call_id",
        ),
        (
            {"model": "m", "input": [{"type": "item_reference", "id": "x"}]},
            ErrorKind.UNSUPPORTED,
            "input[0].type",
        ),
        (
            {"model": "m", "input": "x", "reasoning": {"effort": "max"}},
            ErrorKind.INVALID_REQUEST,
            "reasoning.effort",
        ),
        (
            {"model": "m", "input": "x", "tool_choice": {"type": "web_search_preview"}},
            ErrorKind.UNSUPPORTED,
            "tool_choice.type",
        ),
    ],
)
def test_responses_rejections(payload: Any, kind: ErrorKind, param: str | None) -> None:
    err = rejected(parse_responses_request, payload)
    assert err.kind == kind
    if param is not None:
        assert err.param == param
    else:
        assert "stateless" in err.message


# --- responses: rendering -----------------------------------------------------------------------


def test_render_responses_response() -> None:
    response = ChatResponse(
        "x",
        "m",
        [TextPart("a"), TextPart("b"), ToolUsePart("c1", "f", '{"k":1}'), TextPart("c")],
        "length",
        Usage(5, 6),
    )
    body = render_responses_response(response, META)
    assert body["object"] == "response" and body["id"] == "resp_1"
    assert body["status"] == "incomplete"
    assert body["incomplete_details"] == {"reason": "max_output_tokens"}
    kinds = [(item["type"], item.get("content", [{}])[0].get("text")) for item in body["output"]]
    assert kinds == [("message", "ab"), ("function_call", None), ("message", "c")]
    assert body["output"][1]["call_id"] == "c1" and body["output"][1]["arguments"] == '{"k":1}'
    assert body["usage"]["total_tokens"] == 11


def _events(raw: bytes) -> list[dict[str, Any]]:
    out = []
    for block in raw.decode().split("\n\n"):
        if block:
            event_line, data_line = block.split("\n")
            data = json.loads(data_line.removeprefix("data: "))
            assert event_line == f"event: {data['type']}"
            out.append(data)
    return out


def test_responses_stream_renderer_orders_items() -> None:
    renderer = ResponsesStreamRenderer(META)
    raw = renderer.start()
    stream: list[StreamEvent] = [
        TextDelta("Hi"),
        ThinkingDelta("hidden"),
        TextDelta("!"),
        ToolCallStart(0, "c1", "f"),
        ToolCallDelta(0, '{"a":'),
        ToolCallDelta(0, "1}"),
    ]
    for event in stream:
        raw += renderer.event(event)
    raw += renderer.finish(StreamEnd("tool_calls", Usage(3, 4)))
    events = _events(raw)
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    assert [e["type"] for e in events] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.delta",
        "response.output_text.delta",
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.output_item.added",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert events[6]["text"] == "Hi!"
    assert events[12]["arguments"] == '{"a":1}' and events[12]["output_index"] == 1
    final = events[-1]["response"]
    assert final["status"] == "completed"
    assert [item["status"] for item in final["output"]] == ["completed", "completed"]
    assert final["output"][0]["content"][0]["text"] == "Hi!"
    assert final["usage"]["input_tokens"] == 3


def test_responses_stream_incomplete_and_error() -> None:
    renderer = ResponsesStreamRenderer(META)
    raw = renderer.start() + renderer.event(TextDelta("x")) + renderer.finish(StreamEnd("length"))
    assert _events(raw)[-1]["type"] == "response.incomplete"
    failing = ResponsesStreamRenderer(META)
    raw = failing.start() + failing.error(GatewayError(ErrorKind.RATE_LIMIT, "later"))
    events = _events(raw)
    assert events[-2] == {
        "type": "error",
        "sequence_number": 2,
        "code": "rate_limit_exceeded",
        "message": "later",
        "param": None,
    }
    assert events[-1]["type"] == "response.failed"
    assert events[-1]["response"]["status"] == "failed"
    assert failing.finish(StreamEnd()) == b""


# --- embeddings ---------------------------------------------------------------------------------


def test_embedding_request() -> None:
    request = parse_embedding_request(
        {"model": "e", "input": "one", "dimensions": 8, "user": "u", "encoding_format": "base64"}
    )
    assert (request.inputs, request.dimensions, request.user) == (["one"], 8, "u")
    assert request.extra == {"encoding_format": "base64"}


@pytest.mark.parametrize(
    ("payload", "kind", "param"),
    [
        ({"model": "e"}, ErrorKind.INVALID_REQUEST, "input"),
        ({"model": "e", "input": []}, ErrorKind.INVALID_REQUEST, "input"),
        ({"model": "e", "input": [1, 2]}, ErrorKind.UNSUPPORTED, "input"),
        ({"model": "e", "input": ["a", 3.5]}, ErrorKind.INVALID_REQUEST, "input[1]"),
        ({"model": "e", "input": "a", "dimensions": 0}, ErrorKind.INVALID_REQUEST, "dimensions"),
        (
            {"model": "e", "input": "a", "encoding_format": "hex"},
            ErrorKind.INVALID_REQUEST,
            "encoding_format",
        ),
    ],
)
def test_embedding_rejections(payload: Any, kind: ErrorKind, param: str) -> None:
    err = rejected(parse_embedding_request, payload)
    assert (err.kind, err.param) == (kind, param)


def test_embedding_base64_is_little_endian_float32() -> None:
    response = EmbeddingResponse("e", [[1.5, -2.0], [0.0, 3.25]], Usage(input_tokens=2))
    body = render_embedding_response(response, "public", "base64")
    decoded = [
        list(struct.unpack("<2f", base64.b64decode(item["embedding"]))) for item in body["data"]
    ]
    assert decoded == [[1.5, -2.0], [0.0, 3.25]]
    floats = render_embedding_response(response, "public", "float")
    assert floats["data"][1] == {"object": "embedding", "index": 1, "embedding": [0.0, 3.25]}
    assert floats["usage"] == {"prompt_tokens": 2, "total_tokens": 2}


def test_models_list() -> None:
    assert render_models(["a"], 5, owned_by="me") == {
        "object": "list",
        "data": [{"id": "a", "object": "model", "created": 5, "owned_by": "me"}],
    }
