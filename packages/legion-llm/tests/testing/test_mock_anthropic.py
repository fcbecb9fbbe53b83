"""The mock's Anthropic routes, driven by the official `anthropic` SDK."""

from __future__ import annotations

import anthropic
import httpx
from anthropic.types import ToolParam

from legion.llm.testing.mock_upstream import MockUpstream

WEATHER_TOOL: ToolParam = {
    "name": "get_weather",
    "description": "Weather for a city",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}},
}


def test_message_non_stream(mock: MockUpstream, claude: anthropic.Anthropic) -> None:
    message = claude.messages.create(
        model="claude-mock",
        max_tokens=100,
        system="be brief",
        messages=[{"role": "user", "content": "hello there"}],
    )
    assert message.content[0].type == "text"
    assert message.content[0].text == mock.answer_for("hello there")
    assert message.stop_reason == "end_turn"
    assert message.model == "claude-mock"
    assert message.usage.input_tokens == 4
    assert message.usage.output_tokens == 12


def test_message_stream_events_in_order(mock: MockUpstream, claude: anthropic.Anthropic) -> None:
    with claude.messages.stream(
        model="claude-mock", max_tokens=100, messages=[{"role": "user", "content": "stream me"}]
    ) as stream:
        kinds = [event.type for event in stream]
        final = stream.get_final_message()
    deltas = kinds.count("content_block_delta")
    assert deltas == len(mock.chunks_for("stream me"))
    assert kinds[0] == "message_start"
    assert kinds[1] == "content_block_start"
    assert kinds[-3:] == ["content_block_stop", "message_delta", "message_stop"]
    assert final.content[0].type == "text"
    assert final.content[0].text == mock.answer_for("stream me")
    assert final.stop_reason == "end_turn"
    assert final.usage.output_tokens == 12
    assert final.usage.input_tokens == 2


def test_raw_stream_carries_event_names(mock: MockUpstream) -> None:
    response = httpx.post(
        mock.url + "/v1/messages",
        json={
            "model": "m",
            "max_tokens": 10,
            "stream": True,
            "messages": [{"role": "user", "content": "x"}],
        },
    )
    lines = response.text.splitlines()
    events = [line.removeprefix("event: ") for line in lines if line.startswith("event: ")]
    assert events[:3] == ["message_start", "content_block_start", "ping"]
    assert events[-1] == "message_stop"
    assert response.headers["content-type"].startswith("text/event-stream")


def test_tool_use_streamed(claude: anthropic.Anthropic) -> None:
    with claude.messages.stream(
        model="m",
        max_tokens=100,
        tools=[WEATHER_TOOL],
        messages=[{"role": "user", "content": "call get_weather now"}],
    ) as stream:
        partials = [e for e in stream if e.type == "content_block_delta"]
        final = stream.get_final_message()
    assert len(partials) > 1
    block = final.content[0]
    assert block.type == "tool_use"
    assert block.name == "get_weather"
    assert block.input == {"echo": "call get_weather now"}
    assert final.stop_reason == "tool_use"


def test_tool_use_non_stream_then_result(mock: MockUpstream, claude: anthropic.Anthropic) -> None:
    first = claude.messages.create(
        model="m",
        max_tokens=100,
        tools=[WEATHER_TOOL],
        messages=[{"role": "user", "content": "call get_weather"}],
    )
    block = first.content[0]
    assert block.type == "tool_use"
    second = claude.messages.create(
        model="m",
        max_tokens=100,
        tools=[WEATHER_TOOL],
        messages=[
            {"role": "user", "content": "call get_weather"},
            {"role": "assistant", "content": [block.model_dump()]},  # type: ignore[list-item,misc]
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": block.id, "content": "rain"}],
            },
        ],
    )
    assert second.content[0].type == "text"
    assert second.content[0].text == mock.answer_for("rain")


def test_count_tokens(claude: anthropic.Anthropic) -> None:
    counted = claude.messages.count_tokens(
        model="m",
        system="one two",
        messages=[{"role": "user", "content": "three four five"}],
    )
    assert counted.input_tokens == 5


def test_prefill_continues_exactly(mock: MockUpstream, claude: anthropic.Anthropic) -> None:
    full = mock.answer_for("keep going")
    prefill = "".join(mock.chunks_for("keep going")[:4]) + " "
    with claude.messages.stream(
        model="m",
        max_tokens=100,
        messages=[
            {"role": "user", "content": "keep going"},
            {"role": "assistant", "content": prefill},
        ],
    ) as stream:
        rest = "".join(stream.text_stream)
    assert rest[:1] == " "
    assert prefill.rstrip() + rest == full
    assert rest == full[len(prefill.rstrip()) :]


def test_prefill_that_does_not_match_answers_in_full(
    mock: MockUpstream, claude: anthropic.Anthropic
) -> None:
    message = claude.messages.create(
        model="m",
        max_tokens=100,
        messages=[
            {"role": "user", "content": "keep going"},
            {"role": "assistant", "content": [{"type": "text", "text": "Nope"}]},
        ],
    )
    assert message.content[0].type == "text"
    assert message.content[0].text == mock.answer_for("keep going")


def test_max_tokens_stop_reason(claude: anthropic.Anthropic) -> None:
    message = claude.messages.create(
        model="m", max_tokens=3, messages=[{"role": "user", "content": "cut"}]
    )
    assert message.stop_reason == "max_tokens"
    assert message.usage.output_tokens == 3
