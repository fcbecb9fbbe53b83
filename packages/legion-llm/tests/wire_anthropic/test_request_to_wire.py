"""Canonical requests written for an Anthropic upstream, and client requests surviving the
round trip through the canonical model."""

from __future__ import annotations

from typing import Any

import pytest

from legion.llm.canonical import (
    ChatRequest,
    ImagePart,
    Message,
    TextPart,
    ThinkingPart,
    Tool,
    ToolChoice,
    ToolResultPart,
    ToolUsePart,
)
from legion.llm.errors import ErrorKind, GatewayError
from legion.llm.wire.anthropic_messages import messages_request_to_wire, parse_messages_request


def to_wire(request: ChatRequest, **kwargs: Any) -> dict[str, Any]:
    options: dict[str, Any] = {"stream": False, "default_max_tokens": 4096}
    options.update(kwargs)
    return messages_request_to_wire(request, "claude-up", **options)


CLIENT: dict[str, Any] = {
    "model": "claude",
    "max_tokens": 256,
    "system": "Be brief.",
    "tools": [
        {
            "name": "weather",
            "description": "Forecast for a city",
            "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}},
        }
    ],
    "tool_choice": {"type": "any"},
    "messages": [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Weather here?"},
                {
                    "type": "image",
                    "source": {"type": "base64", "media_type": "image/jpeg", "data": "/9j/4A"},
                },
                {"type": "image", "source": {"type": "url", "url": "https://x.test/map.png"}},
            ],
        },
        {
            "role": "assistant",
            "content": [
                {"type": "thinking", "thinking": "Need the city.", "signature": "sig"},
                {"type": "text", "text": "Checking."},
                {"type": "tool_use", "id": "toolu_1", "name": "weather", "input": {"city": "Oslo"}},
                {"type": "tool_use", "id": "toolu_2", "name": "weather", "input": {"city": "Rome"}},
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "toolu_1", "content": "rain"},
                {
                    "type": "tool_result",
                    "tool_use_id": "toolu_2",
                    "is_error": True,
                    "content": [
                        {"type": "text", "text": "no data"},
                        {"type": "image", "source": {"type": "url", "url": "https://x.test/e.png"}},
                    ],
                },
                {"type": "text", "text": "And tomorrow?"},
            ],
        },
    ],
    "stop_sequences": ["END"],
    "temperature": 0.2,
    "top_k": 5,
    "metadata": {"user_id": "u-9"},
    "thinking": {"type": "enabled", "budget_tokens": 1024},
}


def test_client_request_survives_the_round_trip() -> None:
    wire = to_wire(parse_messages_request(CLIENT))
    expected = {k: v for k, v in CLIENT.items() if k != "model"}
    assert wire == {"model": "claude-up", **expected}


def test_streaming_flag_and_default_max_tokens() -> None:
    request = ChatRequest("m", [Message("user", [TextPart("hi")])])
    wire = to_wire(request, stream=True, default_max_tokens=777)
    assert wire["stream"] is True
    assert wire["max_tokens"] == 777
    assert "system" not in wire and "tools" not in wire and "metadata" not in wire


def test_openai_shaped_conversation_becomes_alternating_turns() -> None:
    request = ChatRequest(
        "m",
        [
            Message("system", [TextPart("First.")]),
            Message("user", [TextPart("a")]),
            Message("user", [TextPart("b")]),
            Message("system", [TextPart("Second.")]),
            Message("assistant", [ToolUsePart("call_1", "f", '{"x": 1}'), ThinkingPart("hm")]),
            Message("tool", [ToolResultPart("call_1", [TextPart("one")])]),
            Message("user", [TextPart("")]),
        ],
    )
    wire = to_wire(request)
    assert wire["system"] == [
        {"type": "text", "text": "First."},
        {"type": "text", "text": "Second."},
    ]
    assert wire["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]},
        {
            "role": "assistant",
            # Thinking without a signature came from another provider and is dropped.
            "content": [{"type": "tool_use", "id": "call_1", "name": "f", "input": {"x": 1}}],
        },
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": "call_1", "content": "one"}],
        },
    ]


def test_tool_results_lead_a_merged_user_turn() -> None:
    request = ChatRequest(
        "m",
        [
            Message("assistant", [ToolUsePart("t", "f", "{}")]),
            Message("user", [TextPart("note")]),
            Message("tool", [ToolResultPart("t", [])]),
        ],
    )
    user = to_wire(request)["messages"][1]
    assert [b["type"] for b in user["content"]] == ["tool_result", "text"]
    assert "content" not in user["content"][0]


def test_continue_from_appends_a_prefill_without_trailing_whitespace() -> None:
    request = ChatRequest("m", [Message("user", [TextPart("Count")])], continue_from="1, 2, 3, \n")
    assert to_wire(request)["messages"][-1] == {
        "role": "assistant",
        "content": [{"type": "text", "text": "1, 2, 3,"}],
    }
    blank = ChatRequest("m", [Message("user", [TextPart("Count")])], continue_from="  ")
    assert [m["role"] for m in to_wire(blank)["messages"]] == ["user"]


def test_continue_from_extends_a_client_prefill() -> None:
    request = ChatRequest(
        "m",
        [Message("user", [TextPart("Q")]), Message("assistant", [TextPart("{")])],
        continue_from='"a": ',
    )
    last = to_wire(request)["messages"][-1]
    assert last["content"] == [{"type": "text", "text": "{"}, {"type": "text", "text": '"a":'}]


@pytest.mark.parametrize(
    ("choice", "wire"),
    [
        (ToolChoice("auto"), {"type": "auto"}),
        (ToolChoice("required"), {"type": "any"}),
        (ToolChoice("none"), {"type": "none"}),
        (ToolChoice("tool", "f"), {"type": "tool", "name": "f"}),
    ],
)
def test_tool_choice(choice: ToolChoice, wire: dict[str, Any]) -> None:
    request = ChatRequest(
        "m", [Message("user", [TextPart("x")])], tools=[Tool("f", None, {})], tool_choice=choice
    )
    body = to_wire(request)
    assert body["tool_choice"] == wire
    assert body["tools"] == [{"name": "f", "input_schema": {"type": "object"}}]


def test_tool_choice_without_tools_is_not_sent() -> None:
    request = ChatRequest("m", [Message("user", [TextPart("x")])], tool_choice=ToolChoice("auto"))
    assert "tool_choice" not in to_wire(request)


def test_openai_only_extras_are_dropped_and_anthropic_ones_kept() -> None:
    request = ChatRequest(
        "m",
        [Message("user", [TextPart("x")])],
        temperature=1.7,
        metadata={"trace": "abc"},
        extra={"seed": 1, "presence_penalty": 0.5, "logit_bias": {}, "top_k": 3},
    )
    wire = to_wire(request)
    assert wire["top_k"] == 3
    assert wire["temperature"] == 1.0
    for key in ("seed", "presence_penalty", "logit_bias", "metadata"):
        assert key not in wire


def test_images_by_data_url_and_by_link() -> None:
    request = ChatRequest(
        "m",
        [
            Message(
                "user",
                [ImagePart("data:image/webp;base64,UklGR"), ImagePart("https://x.test/a.gif")],
            )
        ],
    )
    content = to_wire(request)["messages"][0]["content"]
    assert content == [
        {
            "type": "image",
            "source": {"type": "base64", "media_type": "image/webp", "data": "UklGR"},
        },
        {"type": "image", "source": {"type": "url", "url": "https://x.test/a.gif"}},
    ]


def test_invalid_tool_arguments_name_the_tool_call() -> None:
    request = ChatRequest(
        "m",
        [
            Message("user", [TextPart("x")]),
            Message("assistant", [TextPart("ok"), ToolUsePart("call_7", "f", "{not json")]),
        ],
    )
    with pytest.raises(GatewayError) as caught:
        to_wire(request)
    assert caught.value.kind == ErrorKind.INVALID_REQUEST
    assert caught.value.param == "messages.1.content.1"
    assert "call_7" in caught.value.message
