"""Parsing `/v1/chat/completions` bodies: what is accepted, and the param each rejection names."""

from __future__ import annotations

from typing import Any

import pytest

from legion.llm.canonical import (
    ImagePart,
    TextPart,
    ToolChoice,
    ToolResultPart,
    ToolUsePart,
)
from legion.llm.errors import ErrorKind, GatewayError
from legion.llm.wire.openai_chat import parse_chat_request


def body(**more: Any) -> dict[str, Any]:
    return {"model": "m", "messages": [{"role": "user", "content": "hi"}], **more}


def test_minimal_request() -> None:
    request = parse_chat_request(body())
    assert request.model == "m"
    assert [(m.role, m.text()) for m in request.messages] == [("user", "hi")]
    assert request.stream is False and request.extra == {}


def test_roles_and_content_forms() -> None:
    request = parse_chat_request(
        {
            "model": "m",
            "messages": [
                {"role": "developer", "content": "be brief"},
                {"role": "system", "content": [{"type": "text", "text": "and kind"}]},
                {
                    "role": "user",
                    "name": "ann",
                    "content": [
                        {"type": "text", "text": "what is this?"},
                        {
                            "type": "image_url",
                            "image_url": {"url": "data:image/png;base64,AAAA", "detail": "low"},
                        },
                    ],
                },
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "call_1",
                            "type": "function",
                            "function": {"name": "look", "arguments": '{"x": 1}'},
                        }
                    ],
                },
                {"role": "tool", "tool_call_id": "call_1", "content": "a cat"},
            ],
        }
    )
    roles = [m.role for m in request.messages]
    assert roles == ["system", "system", "user", "assistant", "tool"]
    assert request.messages[1].content == [TextPart("and kind")]
    user = request.messages[2]
    assert user.name == "ann"
    assert user.content == [
        TextPart("what is this?"),
        ImagePart("data:image/png;base64,AAAA", "low"),
    ]
    assert request.messages[3].content == [ToolUsePart("call_1", "look", '{"x": 1}')]
    assert request.messages[4].content == [ToolResultPart("call_1", [TextPart("a cat")])]


def test_sampling_parameters_and_tools() -> None:
    request = parse_chat_request(
        body(
            max_tokens=50,
            temperature=0.2,
            top_p=0.9,
            stop="END",
            stream=True,
            user="u-1",
            metadata={"team": "a"},
            response_format={"type": "json_object"},
            tools=[
                {
                    "type": "function",
                    "function": {
                        "name": "get_weather",
                        "description": "Weather by city",
                        "parameters": {"type": "object", "properties": {"city": {}}},
                    },
                },
                {"type": "function", "function": {"name": "noop"}},
            ],
            tool_choice={"type": "function", "function": {"name": "get_weather"}},
        )
    )
    assert (request.max_tokens, request.temperature, request.top_p) == (50, 0.2, 0.9)
    assert request.stop == ["END"] and request.stream and request.user == "u-1"
    assert request.metadata == {"team": "a"}
    assert request.response_format == {"type": "json_object"}
    assert [t.name for t in request.tools] == ["get_weather", "noop"]
    assert request.tools[0].description == "Weather by city"
    assert request.tools[1].parameters == {"type": "object", "properties": {}}
    assert request.tool_choice == ToolChoice("tool", "get_weather")


@pytest.mark.parametrize("choice", ["auto", "none", "required"])
def test_tool_choice_modes(choice: str) -> None:
    assert parse_chat_request(body(tool_choice=choice)).tool_choice == ToolChoice(choice)  # type: ignore[arg-type]


def test_max_completion_tokens_wins_over_max_tokens() -> None:
    request = parse_chat_request(body(max_completion_tokens=20, max_tokens=99))
    assert request.max_tokens == 20


@pytest.mark.parametrize(
    ("value", "effort"), [("low", "low"), ("medium", "moderate"), ("high", "high")]
)
def test_reasoning_effort_is_a_routing_hint(value: str, effort: str) -> None:
    request = parse_chat_request(body(reasoning_effort=value))
    assert request.hints.effort == effort
    assert request.extra["reasoning_effort"] == value


def test_other_openai_parameters_and_unknown_keys_go_to_extra() -> None:
    passthrough = {
        "seed": 7,
        "presence_penalty": 0.5,
        "frequency_penalty": 0.1,
        "logit_bias": {"50256": -100},
        "logprobs": True,
        "top_logprobs": 2,
        "parallel_tool_calls": False,
        "stream_options": {"include_usage": True},
        "service_tier": "auto",
        "store": False,
        "prediction": {"type": "content", "content": "x"},
        "modalities": ["text"],
        "top_k": 40,
    }
    request = parse_chat_request(body(**passthrough))
    assert request.extra == passthrough


def test_null_optional_values_are_unset() -> None:
    request = parse_chat_request(body(temperature=None, seed=None, n=None))
    assert request.temperature is None and request.extra == {}


def test_n_of_one_is_fine() -> None:
    assert parse_chat_request(body(n=1)).model == "m"


def reject(payload: Any) -> GatewayError:
    with pytest.raises(GatewayError) as caught:
        parse_chat_request(payload)
    return caught.value


@pytest.mark.parametrize(
    ("payload", "param"),
    [
        (body(model=None), "model"),
        (body(model=3), "model"),
        ({"model": "m"}, "messages"),
        (body(messages="hi"), "messages"),
        (body(messages=[]), "messages"),
        (body(messages=["hi"]), "messages[0]"),
        (body(messages=[{"content": "x"}]), "messages[0].role"),
        (body(messages=[{"role": "robot", "content": "x"}]), "messages[0].role"),
        (body(messages=[{"role": "user"}]), "messages[0].content"),
        (body(messages=[{"role": "user", "content": 5}]), "messages[0].content"),
        (
            body(messages=[{"role": "user", "content": [{"type": "video", "url": "x"}]}]),
            "messages[0].content[0].type",
        ),
        (
            body(messages=[{"role": "user", "content": [{"type": "text"}]}]),
            "messages[0].content[0].text",
        ),
        (
            body(messages=[{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}]),
            "messages[0].content[0].image_url.url",
        ),
        (
            body(
                messages=[
                    {"role": "user", "content": "a"},
                    {"role": "assistant", "content": "b"},
                    {"role": "user", "content": ["c"]},
                ]
            ),
            "messages[2].content[0]",
        ),
        (body(messages=[{"role": "assistant"}]), "messages[0].content"),
        (
            body(messages=[{"role": "assistant", "tool_calls": [{"type": "function"}]}]),
            "messages[0].tool_calls[0].function",
        ),
        (body(messages=[{"role": "tool", "content": "x"}]), "messages[0].tool_call_id"),
        (body(messages=[{"role": "system", "content": [{"type": "image_url"}]}]), None),
        (body(tools={"type": "function"}), "tools"),
        (body(tools=[{"type": "web_search"}]), "tools[0].type"),
        (body(tools=[{"type": "function", "function": {}}]), "tools[0].function.name"),
        (
            body(tools=[{"type": "function", "function": {"name": "f", "parameters": []}}]),
            "tools[0].function.parameters",
        ),
        (
            body(
                tools=[{"type": "function", "function": {"name": "f", "parameters": {"type": "s"}}}]
            ),
            "tools[0].function.parameters",
        ),
        (body(tool_choice="sometimes"), "tool_choice"),
        (body(tool_choice={"type": "function", "function": {}}), "tool_choice.function.name"),
        (body(temperature="hot"), "temperature"),
        (body(temperature=3), "temperature"),
        (body(top_p=True), "top_p"),
        (body(max_tokens=0), "max_tokens"),
        (body(max_tokens=1.5), "max_tokens"),
        (body(stop=[1]), "stop[0]"),
        (body(stream="yes"), "stream"),
        (body(metadata=[]), "metadata"),
        (body(response_format="json"), "response_format"),
        (body(reasoning_effort="extreme"), "reasoning_effort"),
        (body(stream_options=True), "stream_options"),
    ],
)
def test_invalid_requests_name_the_param(payload: Any, param: str | None) -> None:
    err = reject(payload)
    assert err.kind == ErrorKind.INVALID_REQUEST
    if param is not None:
        assert err.param == param
    assert err.status == 400 and err.message


def test_body_that_is_not_an_object() -> None:
    err = reject([1, 2])
    assert err.kind == ErrorKind.INVALID_REQUEST and err.param is None


@pytest.mark.parametrize(
    ("payload", "param"),
    [
        (body(n=2), "n"),
        (
            body(
                messages=[
                    {
                        "role": "user",
                        "content": [{"type": "input_audio", "input_audio": {"data": "x"}}],
                    }
                ]
            ),
            "messages[0].content[0]",
        ),
        (
            body(messages=[{"role": "user", "content": [{"type": "file", "file": {}}]}]),
            "messages[0].content[0]",
        ),
        (body(functions=[{"name": "f"}]), "functions"),
        (body(messages=[{"role": "function", "name": "f", "content": "x"}]), "messages[0]"),
    ],
)
def test_unsupported_features_name_the_param(payload: Any, param: str) -> None:
    err = reject(payload)
    assert err.kind == ErrorKind.UNSUPPORTED
    assert err.param == param
    assert err.status == 400
