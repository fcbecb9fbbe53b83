"""Anthropic's typed SSE stream, both ways: canonical stream events rendered as
message_start / content_block_* / message_delta / message_stop, and an upstream's events parsed
back. Also the stop-reason vocabulary, which whole responses share with streams."""

from __future__ import annotations

from typing import Any

import msgspec

from legion.llm.canonical import (
    FinishReason,
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
from legion.llm.sse import frame
from legion.llm.wire.anthropic_errors import error_body, upstream_error

STOP_REASONS: dict[FinishReason, str] = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "content_filter": "refusal",
    "error": "end_turn",
}

FINISH_REASONS: dict[str, FinishReason] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}


def stop_reason(finish: FinishReason) -> str:
    return STOP_REASONS.get(finish, "end_turn")


def finish_reason(stop: Any) -> FinishReason:
    """Unknown or missing stop reasons read as a normal stop."""
    return FINISH_REASONS.get(stop, "stop") if isinstance(stop, str) else "stop"


def wire_usage(usage: Usage) -> dict[str, int]:
    """Canonical input tokens include cache reads; Anthropic counts those separately."""
    out = {
        "input_tokens": max(0, usage.input_tokens - usage.cache_read_tokens),
        "output_tokens": usage.output_tokens,
    }
    if usage.cache_read_tokens:
        out["cache_read_input_tokens"] = usage.cache_read_tokens
    return out


def usage_from_wire(data: Any, into: Usage | None = None) -> Usage:
    """Anthropic usage counts (cumulative where repeated) as canonical usage."""
    usage = into if into is not None else Usage()
    if not isinstance(data, dict):
        return usage
    fresh = _int(data.get("input_tokens"))
    created = _int(data.get("cache_creation_input_tokens"))
    read = _int(data.get("cache_read_input_tokens"))
    if fresh is not None or created is not None or read is not None:
        usage.cache_read_tokens = read if read is not None else usage.cache_read_tokens
        usage.input_tokens = (fresh or 0) + (created or 0) + usage.cache_read_tokens
    output = _int(data.get("output_tokens"))
    if output is not None:
        usage.output_tokens = output
    return usage


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _event(data: dict[str, Any]) -> bytes:
    return frame(msgspec.json.encode(data), event=data["type"])


class MessagesStreamRenderer:
    """Canonical stream events as Anthropic SSE bytes for one client response.

    One content block is open at a time: a change of kind (text, thinking, a new tool call)
    closes the open block and starts the next, as Anthropic's own streams do.
    """

    def __init__(self, meta: StreamMeta) -> None:
        self.meta = meta
        self._blocks = 0  # content blocks started so far
        self._open: tuple[str, int] | None = None  # (kind, tool index or -1), open block
        self._tool_blocks: dict[int, int] = {}  # tool index -> block index
        self._finished = False

    def start(self) -> bytes:
        message_id = self.meta.id if self.meta.id.startswith("msg_") else f"msg_{self.meta.id}"
        message: dict[str, Any] = {
            "id": message_id,
            "type": "message",
            "role": "assistant",
            "model": self.meta.model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": self.meta.input_tokens, "output_tokens": 0},
        }
        return _event({"type": "message_start", "message": message})

    def event(self, ev: StreamEvent) -> bytes:
        if isinstance(ev, StreamEnd):
            return self.finish(ev)
        if isinstance(ev, TextDelta):
            if not ev.text:
                return b""
            out = self._switch(("text", -1), {"type": "text", "text": ""})
            return out + self._delta({"type": "text_delta", "text": ev.text})
        if isinstance(ev, ThinkingDelta):
            if not ev.text:
                return b""
            block: dict[str, Any] = {"type": "thinking", "thinking": "", "signature": ""}
            out = self._switch(("thinking", -1), block)
            return out + self._delta({"type": "thinking_delta", "thinking": ev.text})
        if isinstance(ev, ToolCallStart):
            block = {"type": "tool_use", "id": ev.id, "name": ev.name, "input": {}}
            out = self._close() + self._begin(("tool", ev.index), block)
            self._tool_blocks[ev.index] = self._blocks - 1
            return out
        # ToolCallDelta: to its own block (a delta for a tool never started has nowhere to go).
        index = self._tool_blocks.get(ev.index)
        if index is None or not ev.arguments:
            return b""
        delta = {"type": "input_json_delta", "partial_json": ev.arguments}
        return _event({"type": "content_block_delta", "index": index, "delta": delta})

    def finish(self, end: StreamEnd) -> bytes:
        if self._finished:
            return b""
        self._finished = True
        usage: dict[str, int] = {"output_tokens": end.usage.output_tokens}
        if end.usage.input_tokens:
            usage.update(wire_usage(end.usage))
        delta = {"stop_reason": stop_reason(end.finish_reason), "stop_sequence": None}
        return (
            self._close()
            + _event({"type": "message_delta", "delta": delta, "usage": usage})
            + _event({"type": "message_stop"})
        )

    def error(self, err: GatewayError) -> bytes:
        self._finished = True
        return frame(msgspec.json.encode(error_body(err)), event="error")

    def _switch(self, kind: tuple[str, int], block: dict[str, Any]) -> bytes:
        if self._open == kind:
            return b""
        return self._close() + self._begin(kind, block)

    def _begin(self, kind: tuple[str, int], block: dict[str, Any]) -> bytes:
        self._open = kind
        self._blocks += 1
        start = {"type": "content_block_start", "index": self._blocks - 1, "content_block": block}
        return _event(start)

    def _close(self) -> bytes:
        if self._open is None:
            return b""
        self._open = None
        return _event({"type": "content_block_stop", "index": self._blocks - 1})

    def _delta(self, delta: dict[str, Any]) -> bytes:
        return _event({"type": "content_block_delta", "index": self._blocks - 1, "delta": delta})


class MessagesStreamParser:
    """An upstream Anthropic stream, one typed SSE event at a time, as canonical events.

    Thinking signatures (signature_delta) and redacted thinking have no canonical stream event
    and are dropped; `end()` refuses a stream that never reached message_stop.
    """

    def __init__(self) -> None:
        self.id: str | None = None
        self.model: str | None = None
        self.done = False
        self._usage = Usage()
        self._finish: FinishReason = "stop"
        self._tools: dict[int, int] = {}  # block index -> tool index

    def feed(self, event: str | None, data: dict[str, Any]) -> list[StreamEvent]:
        kind = event or data.get("type")
        if kind == "content_block_delta":
            return self._delta(data)
        if kind == "content_block_start":
            return self._start(data)
        if kind == "message_start":
            message = data.get("message")
            if not isinstance(message, dict):
                raise _malformed("message_start without a message")
            self.id = message.get("id") if isinstance(message.get("id"), str) else None
            self.model = message.get("model") if isinstance(message.get("model"), str) else None
            usage_from_wire(message.get("usage"), self._usage)
        elif kind == "message_delta":
            delta = data.get("delta")
            if isinstance(delta, dict) and delta.get("stop_reason") is not None:
                self._finish = finish_reason(delta.get("stop_reason"))
            usage_from_wire(data.get("usage"), self._usage)
        elif kind == "message_stop":
            self.done = True
        elif kind == "error":
            raise upstream_error(data)
        return []

    def end(self) -> StreamEnd:
        if not self.done:
            raise GatewayError(
                ErrorKind.UPSTREAM, "anthropic: stream ended before message_stop", upstream=True
            )
        return StreamEnd(finish_reason=self._finish, usage=self._usage)

    def _start(self, data: dict[str, Any]) -> list[StreamEvent]:
        block = data.get("content_block")
        index = data.get("index")
        if not isinstance(block, dict) or not isinstance(index, int):
            raise _malformed("content_block_start without an index and a content_block")
        kind = block.get("type")
        if kind == "text" and isinstance(block.get("text"), str) and block["text"]:
            return [TextDelta(block["text"])]
        if kind == "thinking" and isinstance(block.get("thinking"), str) and block["thinking"]:
            return [ThinkingDelta(block["thinking"])]
        if kind == "tool_use":
            if not isinstance(block.get("id"), str) or not isinstance(block.get("name"), str):
                raise _malformed("tool_use block without an id and a name")
            tool = len(self._tools)
            self._tools[index] = tool
            events: list[StreamEvent] = [ToolCallStart(tool, block["id"], block["name"])]
            if block.get("input"):
                arguments = msgspec.json.encode(block["input"]).decode()
                events.append(ToolCallDelta(tool, arguments))
            return events
        return []

    def _delta(self, data: dict[str, Any]) -> list[StreamEvent]:
        delta = data.get("delta")
        if not isinstance(delta, dict):
            raise _malformed("content_block_delta without a delta")
        kind = delta.get("type")
        if kind == "text_delta":
            text = delta.get("text")
            return [TextDelta(text)] if isinstance(text, str) and text else []
        if kind == "thinking_delta":
            text = delta.get("thinking")
            return [ThinkingDelta(text)] if isinstance(text, str) and text else []
        if kind == "input_json_delta":
            # Server-side tool blocks (web search, MCP) stream input too; they are not ours.
            tool = self._tools.get(data.get("index"))  # type: ignore[arg-type]
            if tool is None:
                return []
            partial = delta.get("partial_json")
            return [ToolCallDelta(tool, partial)] if isinstance(partial, str) and partial else []
        return []


def _malformed(what: str) -> GatewayError:
    return GatewayError(ErrorKind.UPSTREAM, f"anthropic: malformed stream: {what}", upstream=True)
