"""Client Messages requests into the canonical model, and refusals that name the field."""

from __future__ import annotations

import json
from typing import Any

import pytest

from legion.llm.canonical import (
    ImagePart,
    TextPart,
    ThinkingPart,
    ToolChoice,
    ToolResultPart,
    ToolUsePart,
)
from legion.llm.errors import ErrorKind, GatewayError
from legion.llm.wire.anthropic_messages import (
    parse_count_tokens_request,
    parse_messages_request,
    render_count_tokens,
)


def body(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "model": "claude",
        "max_tokens": 100,
        "messages": [{"role": "user", "content": "Hi"}],
    }
    base.update(overrides)
    return base


def test_minimal_request() -> None:
    request = parse_messages_request(body())
    assert request.model == "claude"
    assert request.max_tokens == 100
    assert [(m.role, m.text()) for m in request.messages] == [("user", "Hi")]
    assert request.stream is False
    assert request.tools == [] and request.tool_choice is None


def test_system_string_and_blocks_become_leading_system_messages() -> None:
    as_string = parse_messages_request(body(system="Be brief."))
    assert as_string.messages[0].role == "system"
    assert as_string.messages[0].text() == "Be brief."
    blocks = [
        {"type": "text", "text": "One. "},
        {"type": "text", "text": "Two.", "cache_control": {"type": "ephemeral"}},
    ]
    as_blocks = parse_messages_request(body(system=blocks))
    assert [m.role for m in as_blocks.messages] == ["system", "user"]
    assert as_blocks.messages[0].text() == "One. Two."


def test_content_blocks_of_every_supported_kind() -> None:
    messages = [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "What is this?"},
                {
                    "type": "image",
                    "source": {"type": "base64", "media_type": "image/png", "data": "iVBOR"},
                },
                {"type": "image", "source": {"type": "url", "url": "https://x.test/cat.jpg"}},
            ],
        },
        {
            "role": "assistant",
            "content": [
                {"type": "thinking", "thinking": "A cat?", "signature": "s1"},
                {"type": "redacted_thinking", "data": "opaque"},
                {"type": "text", "text": "Let me look."},
                {"type": "tool_use", "id": "toolu_1", "name": "lookup", "input": {"q": "cat"}},
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "toolu_1", "content": "a cat"},
                {
                    "type": "tool_result",
                    "tool_use_id": "toolu_2",
                    "is_error": True,
                    "content": [{"type": "text", "text": "boom"}],
                },
                {"type": "text", "text": "Thanks"},
            ],
        },
    ]
    request = parse_messages_request(body(messages=messages))
    assert [m.role for m in request.messages] == ["user", "assistant", "tool", "tool", "user"]
    user = request.messages[0].content
    assert user[1] == ImagePart("data:image/png;base64,iVBOR")
    assert user[2] == ImagePart("https://x.test/cat.jpg")
    assistant = request.messages[1].content
    assert assistant[0] == ThinkingPart("A cat?", "s1")
    assert assistant[1] == ThinkingPart("", "opaque")
    call = assistant[3]
    assert isinstance(call, ToolUsePart)
    assert (call.id, call.name, json.loads(call.arguments)) == ("toolu_1", "lookup", {"q": "cat"})
    assert request.messages[2].content == [ToolResultPart("toolu_1", [TextPart("a cat")])]
    assert request.messages[3].content == [ToolResultPart("toolu_2", [TextPart("boom")], True)]
    assert request.messages[4].text() == "Thanks"


def test_tools_choice_and_sampling() -> None:
    tools = [
        {
            "name": "weather",
            "description": "Forecast",
            "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}},
        }
    ]
    request = parse_messages_request(
        body(
            tools=tools,
            tool_choice={"type": "tool", "name": "weather", "disable_parallel_tool_use": True},
            stop_sequences=["END"],
            temperature=0.5,
            top_p=0.9,
            top_k=40,
            stream=True,
            metadata={"user_id": "u-1"},
        )
    )
    assert request.tools[0].name == "weather"
    assert request.tools[0].description == "Forecast"
    assert request.tools[0].parameters["properties"] == {"city": {"type": "string"}}
    assert request.tool_choice == ToolChoice("tool", "weather")
    assert request.stop == ["END"]
    assert (request.temperature, request.top_p, request.stream) == (0.5, 0.9, True)
    assert request.user == "u-1" and request.metadata == {"user_id": "u-1"}
    assert request.extra == {"top_k": 40, "disable_parallel_tool_use": True}


@pytest.mark.parametrize(
    ("wire", "mode"),
    [("auto", "auto"), ("any", "required"), ("none", "none")],
)
def test_tool_choice_modes(wire: str, mode: str) -> None:
    tools = [{"name": "t", "input_schema": {"type": "object"}}]
    request = parse_messages_request(body(tools=tools, tool_choice={"type": wire}))
    assert request.tool_choice == ToolChoice(mode)  # type: ignore[arg-type]


def test_thinking_config_goes_to_extra_and_asks_for_reasoning() -> None:
    thinking = {"type": "enabled", "budget_tokens": 2048}
    request = parse_messages_request(body(thinking=thinking))
    assert request.extra["thinking"] == thinking
    assert request.hints.effort == "reasoning"
    disabled = parse_messages_request(body(thinking={"type": "disabled"}))
    assert disabled.hints.effort is None


def test_final_assistant_prefill_may_be_empty_but_user_turns_may_not() -> None:
    messages = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": ""}]
    request = parse_messages_request(body(messages=messages))
    assert request.messages[-1].role == "assistant"
    with pytest.raises(GatewayError) as caught:
        parse_messages_request(body(messages=[{"role": "user", "content": []}]))
    assert caught.value.param == "messages.0.content"


def test_count_tokens_does_not_need_max_tokens() -> None:
    request = parse_count_tokens_request(
        {"model": "m", "messages": [{"role": "user", "content": "x"}]}
    )
    assert request.max_tokens is None
    assert render_count_tokens(12) == {"input_tokens": 12}


BAD: list[tuple[dict[str, Any], str, ErrorKind]] = [
    (
        {"messages": [{"role": "user", "content": "x"}], "max_tokens": 5},
        "model",
        ErrorKind.INVALID_REQUEST,
    ),
    (body(max_tokens=None), "max_tokens", ErrorKind.INVALID_REQUEST),
    (body(max_tokens=0), "max_tokens", ErrorKind.INVALID_REQUEST),
    (body(max_tokens=True), "max_tokens", ErrorKind.INVALID_REQUEST),
    (body(messages=None), "messages", ErrorKind.INVALID_REQUEST),
    (body(messages=[]), "messages", ErrorKind.INVALID_REQUEST),
    (
        body(messages=[{"role": "system", "content": "x"}]),
        "messages.0.role",
        ErrorKind.INVALID_REQUEST,
    ),
    (
        body(messages=[{"role": "user", "content": 3}]),
        "messages.0.content",
        ErrorKind.INVALID_REQUEST,
    ),
    (
        body(
            messages=[
                {"role": "user", "content": "a"},
                {"role": "user", "content": [{"type": "text"}]},
            ]
        ),
        "messages.1.content.0.text",
        ErrorKind.INVALID_REQUEST,
    ),
    (
        body(messages=[{"role": "user", "content": [{"type": "document", "source": {}}]}]),
        "messages.0.content.0",
        ErrorKind.UNSUPPORTED,
    ),
    (
        body(messages=[{"role": "user", "content": [{"text": "no type"}]}]),
        "messages.0.content.0.type",
        ErrorKind.INVALID_REQUEST,
    ),
    (
        body(
            messages=[{"role": "user", "content": [{"type": "image", "source": {"type": "file"}}]}]
        ),
        "messages.0.content.0.source.type",
        ErrorKind.INVALID_REQUEST,
    ),
    (
        body(
            messages=[
                {
                    "role": "user",
                    "content": [{"type": "image", "source": {"type": "base64", "data": "x"}}],
                }
            ]
        ),
        "messages.0.content.0.source.media_type",
        ErrorKind.INVALID_REQUEST,
    ),
    (
        body(
            messages=[
                {
                    "role": "user",
                    "content": [{"type": "tool_use", "id": "a", "name": "b", "input": {}}],
                }
            ]
        ),
        "messages.0.content.0",
        ErrorKind.INVALID_REQUEST,
    ),
    (
        body(
            messages=[
                {
                    "role": "assistant",
                    "content": [{"type": "tool_use", "id": "a", "name": "b", "input": 1}],
                }
            ]
        ),
        "messages.0.content.0.input",
        ErrorKind.INVALID_REQUEST,
    ),
    (
        body(messages=[{"role": "user", "content": [{"type": "tool_result", "content": "x"}]}]),
        "messages.0.content.0.tool_use_id",
        ErrorKind.INVALID_REQUEST,
    ),
    (
        body(
            messages=[
                {
                    "role": "user",
                    "content": [
                        {
                            "type": "tool_result",
                            "tool_use_id": "t",
                            "content": [{"type": "search_result"}],
                        }
                    ],
                }
            ]
        ),
        "messages.0.content.0.content.0",
        ErrorKind.UNSUPPORTED,
    ),
    (body(system=5), "system", ErrorKind.INVALID_REQUEST),
    (body(system=[{"type": "image"}]), "system.0", ErrorKind.INVALID_REQUEST),
    (body(tools=[{"name": "t"}]), "tools.0.input_schema", ErrorKind.INVALID_REQUEST),
    (body(tools=[{"input_schema": {}}]), "tools.0.name", ErrorKind.INVALID_REQUEST),
    (
        body(tools=[{"type": "web_search_20250305", "name": "web_search"}]),
        "tools.0.type",
        ErrorKind.UNSUPPORTED,
    ),
    (body(tool_choice={"type": "sometimes"}), "tool_choice.type", ErrorKind.INVALID_REQUEST),
    (body(tool_choice={"type": "tool"}), "tool_choice.name", ErrorKind.INVALID_REQUEST),
    (body(temperature=1.5), "temperature", ErrorKind.INVALID_REQUEST),
    (body(top_p="high"), "top_p", ErrorKind.INVALID_REQUEST),
    (body(stop_sequences="END"), "stop_sequences", ErrorKind.INVALID_REQUEST),
    (body(stream="yes"), "stream", ErrorKind.INVALID_REQUEST),
    (body(metadata={"user_id": 5}), "metadata.user_id", ErrorKind.INVALID_REQUEST),
    (body(thinking={"type": "enabled"}), "thinking.budget_tokens", ErrorKind.INVALID_REQUEST),
]


@pytest.mark.parametrize(("wire", "param", "kind"), BAD, ids=[b[1] for b in BAD])
def test_bad_input_names_its_field(wire: dict[str, Any], param: str, kind: ErrorKind) -> None:
    with pytest.raises(GatewayError) as caught:
        parse_messages_request(wire)
    assert caught.value.kind == kind
    assert caught.value.param == param
    assert param in caught.value.message
    assert caught.value.status == 400


def test_body_must_be_an_object() -> None:
    with pytest.raises(GatewayError) as caught:
        parse_messages_request([1, 2])
    assert caught.value.kind == ErrorKind.INVALID_REQUEST
