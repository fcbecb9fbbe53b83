"""Anthropic SSE streams: canonical events rendered as typed events, and upstream events parsed
back however the bytes were split."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from legion.llm.canonical import (
    StreamEnd,
    StreamEvent,
    StreamMeta,
    TextDelta,
    ThinkingDelta,
    ToolCallDelta,
    ToolCallStart,
    Usage,
)
from legion.llm.errors import ErrorKind, GatewayError
from legion.llm.sse import parse
from legion.llm.wire.anthropic_messages import MessagesStreamParser, MessagesStreamRenderer


def frames(raw: bytes) -> list[tuple[str, dict[str, Any]]]:
    """(event, data) pairs, checking each frame's event line matches its data's type."""
    out = []
    for chunk in raw.decode().split("\n\n"):
        if not chunk:
            continue
        event_line, data_line = chunk.split("\n")
        event = event_line.removeprefix("event: ")
        data = json.loads(data_line.removeprefix("data: "))
        assert data["type"] == event
        out.append((event, data))
    return out


def summary(raw: bytes) -> list[str]:
    """Each event as `type[index]:detail` for compact sequence assertions."""
    out = []
    for event, data in frames(raw):
        if event == "content_block_start":
            out.append(f"start[{data['index']}]:{data['content_block']['type']}")
        elif event == "content_block_delta":
            delta = data["delta"]
            value = delta.get("text") or delta.get("thinking") or delta.get("partial_json")
            out.append(f"delta[{data['index']}]:{value}")
        elif event == "content_block_stop":
            out.append(f"stop[{data['index']}]")
        else:
            out.append(event)
    return out


META = StreamMeta("abc", "claude", 0, input_tokens=11)


def render(events: list[StreamEvent]) -> bytes:
    renderer = MessagesStreamRenderer(META)
    return renderer.start() + b"".join(renderer.event(e) for e in events)


def test_message_start_carries_the_skeleton_and_input_tokens() -> None:
    [(event, data)] = frames(MessagesStreamRenderer(META).start())
    assert event == "message_start"
    message = data["message"]
    assert message["id"] == "msg_abc"
    assert (message["role"], message["model"], message["content"]) == ("assistant", "claude", [])
    assert message["usage"] == {"input_tokens": 11, "output_tokens": 0}


def test_text_then_tool_calls_then_finish() -> None:
    raw = render(
        [
            TextDelta("Hel"),
            TextDelta(""),
            TextDelta("lo"),
            ToolCallStart(0, "toolu_a", "f"),
            ToolCallDelta(0, '{"a"'),
            ToolCallDelta(0, ": 1}"),
            ToolCallStart(1, "toolu_b", "g"),
            ToolCallDelta(1, "{}"),
            StreamEnd("tool_calls", Usage(input_tokens=0, output_tokens=9)),
        ]
    )
    assert summary(raw) == [
        "message_start",
        "start[0]:text",
        "delta[0]:Hel",
        "delta[0]:lo",
        "stop[0]",
        "start[1]:tool_use",
        'delta[1]:{"a"',
        "delta[1]:: 1}",
        "stop[1]",
        "start[2]:tool_use",
        "delta[2]:{}",
        "stop[2]",
        "message_delta",
        "message_stop",
    ]
    parsed = frames(raw)
    assert parsed[5][1]["content_block"] == {
        "type": "tool_use",
        "id": "toolu_a",
        "name": "f",
        "input": {},
    }
    message_delta = parsed[-2][1]
    assert message_delta["delta"] == {"stop_reason": "tool_use", "stop_sequence": None}
    assert message_delta["usage"] == {"output_tokens": 9}


def test_thinking_then_text_and_final_usage() -> None:
    renderer = MessagesStreamRenderer(META)
    raw = renderer.start()
    events: list[StreamEvent] = [ThinkingDelta("hm"), ThinkingDelta("m"), TextDelta("Yes")]
    for event in events:
        raw += renderer.event(event)
    raw += renderer.finish(StreamEnd("length", Usage(input_tokens=15, output_tokens=4)))
    assert summary(raw) == [
        "message_start",
        "start[0]:thinking",
        "delta[0]:hm",
        "delta[0]:m",
        "stop[0]",
        "start[1]:text",
        "delta[1]:Yes",
        "stop[1]",
        "message_delta",
        "message_stop",
    ]
    message_delta = frames(raw)[-2][1]
    assert message_delta["delta"]["stop_reason"] == "max_tokens"
    assert message_delta["usage"] == {"input_tokens": 15, "output_tokens": 4}
    assert renderer.finish(StreamEnd()) == b""


def test_finish_without_content_and_error_frame() -> None:
    renderer = MessagesStreamRenderer(META)
    assert summary(renderer.finish(StreamEnd())) == ["message_delta", "message_stop"]
    [(event, data)] = frames(renderer.error(GatewayError(ErrorKind.OVERLOADED, "busy")))
    assert event == "error"
    assert data == {"type": "error", "error": {"type": "overloaded_error", "message": "busy"}}


def test_delta_for_an_unstarted_tool_is_dropped() -> None:
    assert MessagesStreamRenderer(META).event(ToolCallDelta(3, "{}")) == b""


# --- parser -------------------------------------------------------------------------------------


async def _chunks(raw: bytes, size: int) -> AsyncIterator[bytes]:
    for i in range(0, len(raw), size):
        yield raw[i : i + size]


def feed_all(raw: bytes, size: int) -> tuple[list[StreamEvent], MessagesStreamParser]:
    parser = MessagesStreamParser()

    async def main() -> list[StreamEvent]:
        events: list[StreamEvent] = []
        async for message in parse(_chunks(raw, size)):
            events += parser.feed(message.event, json.loads(message.data))
        return events

    return asyncio.run(main()), parser


def merged(events: list[StreamEvent]) -> list[StreamEvent]:
    """Adjacent deltas of one kind joined, so splits of the upstream text compare equal."""
    out: list[StreamEvent] = []
    for event in events:
        last = out[-1] if out else None
        if isinstance(event, TextDelta | ThinkingDelta) and type(last) is type(event):
            assert isinstance(last, TextDelta | ThinkingDelta)
            last.text += event.text
        elif isinstance(event, ToolCallDelta) and isinstance(last, ToolCallDelta):
            last.arguments += event.arguments
        else:
            out.append(event)
    return out


@pytest.mark.parametrize("size", [1, 2, 7, 64, 100_000])
def test_parser_handles_any_split(
    size: int,
    upstream_events: list[dict[str, Any]],
    sse_bytes: Callable[[list[dict[str, Any]]], bytes],
) -> None:
    raw = (
        sse_bytes(upstream_events).replace(b"\n", b"\r\n")
        if size == 7
        else sse_bytes(upstream_events)
    )
    events, parser = feed_all(raw, size)
    assert merged(events) == [
        ThinkingDelta("Hmm."),
        TextDelta("Héllo ✓"),
        ToolCallStart(0, "toolu_9", "weather"),
        ToolCallDelta(0, '{"city": "Oslo"}'),
    ]
    assert parser.id == "msg_up"
    assert parser.end() == StreamEnd(
        "tool_calls", Usage(input_tokens=30, output_tokens=42, cache_read_tokens=5)
    )


def test_tool_indexes_count_tool_blocks_only() -> None:
    parser = MessagesStreamParser()
    parser.feed("message_start", {"type": "message_start", "message": {"id": "m", "usage": {}}})
    parser.feed(
        None,
        {
            "type": "content_block_start",
            "index": 0,
            "content_block": {"type": "text", "text": "Hi"},
        },
    )
    starts = []
    for block in (1, 2):
        tool = {"type": "tool_use", "id": f"t{block}", "name": "f", "input": {}}
        starts += parser.feed(
            "content_block_start",
            {"type": "content_block_start", "index": block, "content_block": tool},
        )
    assert starts == [ToolCallStart(0, "t1", "f"), ToolCallStart(1, "t2", "f")]
    delta = {"type": "input_json_delta", "partial_json": "{}"}
    assert parser.feed(
        "content_block_delta", {"type": "content_block_delta", "index": 2, "delta": delta}
    ) == [ToolCallDelta(1, "{}")]


def test_end_before_message_stop_is_an_upstream_error(
    upstream_events: list[dict[str, Any]], sse_bytes: Callable[[list[dict[str, Any]]], bytes]
) -> None:
    _, parser = feed_all(sse_bytes(upstream_events[:-1]), 50)
    with pytest.raises(GatewayError) as caught:
        parser.end()
    assert caught.value.kind == ErrorKind.UPSTREAM and caught.value.upstream


@pytest.mark.parametrize(
    ("wire_type", "kind"),
    [
        ("overloaded_error", ErrorKind.OVERLOADED),
        ("rate_limit_error", ErrorKind.RATE_LIMIT),
        ("api_error", ErrorKind.UPSTREAM),
        ("timeout_error", ErrorKind.TIMEOUT),
        ("invalid_request_error", ErrorKind.INVALID_REQUEST),
        ("something_new", ErrorKind.UPSTREAM),
    ],
)
def test_error_event_raises_the_mapped_kind(wire_type: str, kind: ErrorKind) -> None:
    parser = MessagesStreamParser()
    with pytest.raises(GatewayError) as caught:
        parser.feed("error", {"type": "error", "error": {"type": wire_type, "message": "oops"}})
    assert caught.value.kind == kind
    assert caught.value.upstream
    assert "oops" in caught.value.message


def test_malformed_events_are_upstream_errors() -> None:
    parser = MessagesStreamParser()
    for bad in (
        {"type": "message_start"},
        {"type": "content_block_start", "index": 0},
        {"type": "content_block_delta", "index": 0},
    ):
        with pytest.raises(GatewayError) as caught:
            parser.feed(None, bad)
        assert caught.value.kind == ErrorKind.UPSTREAM
