"""OpenAI `/v1/responses`: stateless requests in (input items, flat function tools), `response`
objects and typed event streams out.

The gateway keeps no conversation state, so `previous_response_id`, `conversation` and
background runs are refused, and built-in tools (web search, file search, ...) are refused since
no upstream here runs them. Thinking is not rendered (no reasoning items are produced).
"""

from __future__ import annotations

import time
from typing import Any

import msgspec

from legion.llm.canonical import (
    ChatRequest,
    ChatResponse,
    ImagePart,
    Message,
    Part,
    StreamEnd,
    StreamEvent,
    StreamMeta,
    TextDelta,
    TextPart,
    Tool,
    ToolCallDelta,
    ToolCallStart,
    ToolResultPart,
    ToolUsePart,
    Usage,
)
from legion.llm.errors import GatewayError
from legion.llm.sse import frame
from legion.llm.wire.openai_chat import (
    apply_common,
    apply_effort,
    expect_int,
    expect_list,
    expect_object,
    expect_str,
    invalid,
    optional_str,
    parse_model,
    parse_tool_choice,
    parse_tool_schema,
    unsupported,
)
from legion.llm.wire.openai_errors import error_object

_encode = msgspec.json.Encoder().encode

# Parameters that only matter to a stateful server (storage, item inclusion, truncation).
_IGNORED = frozenset(
    {"store", "include", "truncation", "max_tool_calls", "top_logprobs", "stream_options"}
)
_STATEFUL = {
    "previous_response_id": "'previous_response_id' is not supported: this gateway is stateless; "
    "send the whole conversation in 'input'.",
    "conversation": "'conversation' is not supported: this gateway is stateless; "
    "send the whole conversation in 'input'.",
    "prompt": "Stored prompt templates ('prompt') are not supported by this gateway.",
}


# --- parsing ------------------------------------------------------------------------------------


def _image(item: dict[str, Any], where: str) -> ImagePart:
    if item.get("file_id") is not None:
        raise unsupported("Images by 'file_id' are not supported; send 'image_url'.", where)
    url = expect_str(item.get("image_url"), f"{where}.image_url")
    detail = optional_str(item.get("detail"), f"{where}.detail")
    if detail is not None and detail not in ("auto", "low", "high"):
        raise invalid(f"Invalid value for '{where}.detail': '{detail}'.", f"{where}.detail")
    return ImagePart(url, detail)


def _parts(value: Any, param: str, *, images: bool) -> list[Part]:
    if isinstance(value, str):
        return [TextPart(value)]
    parts: list[Part] = []
    for i, raw in enumerate(expect_list(value, param)):
        where = f"{param}[{i}]"
        item = expect_object(raw, where)
        kind = item.get("type")
        if kind in ("input_text", "output_text"):
            parts.append(TextPart(expect_str(item.get("text"), f"{where}.text")))
        elif kind == "refusal":
            parts.append(TextPart(expect_str(item.get("refusal"), f"{where}.refusal")))
        elif kind == "input_image" and images:
            parts.append(_image(item, where))
        elif kind in ("input_file", "input_audio", "input_image"):
            raise unsupported(f"Content type '{kind}' is not supported here.", where)
        else:
            raise invalid(f"Invalid value for '{where}.type': '{kind}'.", f"{where}.type")
    return parts


def _message_item(item: dict[str, Any], where: str) -> Message:
    role = item.get("role")
    content = item.get("content")
    if content is None:
        raise invalid(f"Missing required parameter: '{where}.content'.", f"{where}.content")
    if role in ("system", "developer"):
        return Message("system", _parts(content, f"{where}.content", images=False))
    if role == "user":
        return Message("user", _parts(content, f"{where}.content", images=True))
    if role == "assistant":
        return Message("assistant", _parts(content, f"{where}.content", images=False))
    raise invalid(
        f"Invalid value for '{where}.role': {role!r}. "
        "Supported values are: 'system', 'developer', 'user' and 'assistant'.",
        f"{where}.role",
    )


def _function_call(item: dict[str, Any], where: str) -> ToolUsePart:
    return ToolUsePart(
        id=expect_str(item.get("call_id"), f"{where}.call_id"),
        name=expect_str(item.get("name"), f"{where}.name"),
        arguments=expect_str(item.get("arguments"), f"{where}.arguments"),
    )


def _function_output(item: dict[str, Any], where: str) -> Message:
    call_id = expect_str(item.get("call_id"), f"{where}.call_id")
    output = item.get("output")
    if output is None:
        raise invalid(f"Missing required parameter: '{where}.output'.", f"{where}.output")
    parts = _parts(output, f"{where}.output", images=True)
    content = [p for p in parts if isinstance(p, TextPart | ImagePart)]
    if len(content) == 1 and isinstance(content[0], TextPart) and not content[0].text:
        content = []
    return Message("tool", [ToolResultPart(call_id, content)])


def _input(value: Any) -> list[Message]:
    if isinstance(value, str):
        return [Message("user", [TextPart(value)])]
    messages: list[Message] = []
    for i, raw in enumerate(expect_list(value, "input")):
        where = f"input[{i}]"
        item = expect_object(raw, where)
        kind = item.get("type", "message")
        if kind == "message":
            messages.append(_message_item(item, where))
        elif kind == "function_call":
            call = _function_call(item, where)
            if messages and messages[-1].role == "assistant":
                messages[-1].content.append(call)
            else:
                messages.append(Message("assistant", [call]))
        elif kind == "function_call_output":
            messages.append(_function_output(item, where))
        elif kind == "reasoning":
            continue  # reasoning from an earlier turn; upstreams here cannot take it back
        elif kind == "item_reference":
            raise unsupported(
                "'item_reference' is not supported: this gateway is stateless.", f"{where}.type"
            )
        else:
            raise unsupported(f"Input item type '{kind}' is not supported.", f"{where}.type")
    if not messages:
        raise invalid("Invalid 'input': no messages.", "input")
    return messages


def _tools(value: Any) -> list[Tool]:
    tools: list[Tool] = []
    for i, raw in enumerate(expect_list(value, "tools")):
        where = f"tools[{i}]"
        tool = expect_object(raw, where)
        kind = tool.get("type")
        if kind != "function":
            raise unsupported(
                f"Tool type '{kind}' is not supported: only 'function' tools can be routed.",
                f"{where}.type",
            )
        name = expect_str(tool.get("name"), f"{where}.name")
        if not name:
            raise invalid(f"Invalid '{where}.name': empty.", f"{where}.name")
        description = optional_str(tool.get("description"), f"{where}.description")
        schema = parse_tool_schema(tool.get("parameters"), where, f"{where}.parameters")
        tools.append(Tool(name, description, schema))
    return tools


def _text_config(request: ChatRequest, value: Any) -> None:
    """`text.format` as a chat `response_format`; `text.verbosity` passes through."""
    config = expect_object(value, "text")
    if config.get("verbosity") is not None:
        request.extra["verbosity"] = expect_str(config["verbosity"], "text.verbosity")
    fmt = config.get("format")
    if fmt is None:
        return
    fmt = expect_object(fmt, "text.format")
    kind = fmt.get("type")
    if kind == "text":
        return
    if kind == "json_object":
        request.response_format = {"type": "json_object"}
    elif kind == "json_schema":
        schema = {k: v for k, v in fmt.items() if k != "type"}
        expect_str(schema.get("name"), "text.format.name")
        expect_object(schema.get("schema"), "text.format.schema")
        request.response_format = {"type": "json_schema", "json_schema": schema}
    else:
        raise invalid(f"Invalid value for 'text.format.type': {kind!r}.", "text.format.type")


def parse_responses_request(body: Any) -> ChatRequest:
    """A `/v1/responses` body in canonical form; `instructions` lead as a system message."""
    body = expect_object(body, None)
    model = parse_model(body)
    if "input" not in body or body["input"] is None:
        raise invalid("Missing required parameter: 'input'.", "input")
    messages = _input(body["input"])
    instructions = optional_str(body.get("instructions"), "instructions")
    if instructions:
        messages.insert(0, Message("system", [TextPart(instructions)]))
    request = ChatRequest(model=model, messages=messages)
    for key, value in body.items():
        if key in ("model", "input", "instructions") or value is None or key in _IGNORED:
            continue
        if key in _STATEFUL:
            raise unsupported(_STATEFUL[key], key)
        if key in ("temperature", "top_p", "stream", "user", "metadata"):
            apply_common(request, body, key, value)
        elif key == "max_output_tokens":
            request.max_tokens = expect_int(value, key, 1)
        elif key == "tools":
            request.tools = _tools(value)
        elif key == "tool_choice":
            request.tool_choice = parse_tool_choice(value, flat=True)
        elif key == "reasoning":
            reasoning = expect_object(value, key)
            if reasoning.get("effort") is not None:
                apply_effort(request, reasoning["effort"], "reasoning.effort")
        elif key == "text":
            _text_config(request, value)
        elif key == "background":
            if value is not False:
                raise unsupported("Background responses are not supported: stateless.", key)
        else:
            request.extra[key] = value
    return request


# --- rendering ----------------------------------------------------------------------------------


def _usage(usage: Usage, input_fallback: int = 0) -> dict[str, Any]:
    prompt = usage.input_tokens or input_fallback
    return {
        "input_tokens": prompt,
        "input_tokens_details": {"cached_tokens": usage.cache_read_tokens},
        "output_tokens": usage.output_tokens,
        "output_tokens_details": {"reasoning_tokens": usage.thinking_tokens},
        "total_tokens": prompt + usage.output_tokens,
    }


def _response(
    meta: StreamMeta,
    status: str,
    output: list[dict[str, Any]],
    usage: dict[str, Any] | None,
    *,
    incomplete: str | None = None,
    error: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "id": meta.id,
        "object": "response",
        "created_at": meta.created or int(time.time()),
        "status": status,
        "error": error,
        "incomplete_details": {"reason": incomplete} if incomplete else None,
        "instructions": None,
        "max_output_tokens": None,
        "model": meta.model,
        "output": output,
        "parallel_tool_calls": True,
        "previous_response_id": None,
        "reasoning": {"effort": None, "summary": None},
        "store": False,
        "temperature": None,
        "text": {"format": {"type": "text"}},
        "tool_choice": "auto",
        "tools": [],
        "top_p": None,
        "truncation": "disabled",
        "usage": usage,
        "user": None,
        "metadata": {},
    }


def _status(reason: str) -> tuple[str, str | None]:
    if reason == "length":
        return "incomplete", "max_output_tokens"
    if reason == "content_filter":
        return "incomplete", "content_filter"
    return "completed", None


def _output_message(item_id: str, text: str, status: str) -> dict[str, Any]:
    return {
        "id": item_id,
        "type": "message",
        "status": status,
        "role": "assistant",
        "content": [_text_part(text)] if status == "completed" else [],
    }


def _text_part(text: str) -> dict[str, Any]:
    return {"type": "output_text", "text": text, "annotations": [], "logprobs": []}


def _call_item(call_id: str, name: str, arguments: str, status: str) -> dict[str, Any]:
    return {
        "id": f"fc_{call_id}",
        "type": "function_call",
        "status": status,
        "call_id": call_id,
        "name": name,
        "arguments": arguments,
    }


def render_responses_response(response: ChatResponse, meta: StreamMeta) -> dict[str, Any]:
    """A `response` object: text runs become message items, tool calls function_call items."""
    output: list[dict[str, Any]] = []
    text: list[str] = []

    def flush() -> None:
        if text:
            output.append(
                _output_message(f"msg_{meta.id}_{len(output)}", "".join(text), "completed")
            )
            text.clear()

    for part in response.content:
        if isinstance(part, TextPart):
            text.append(part.text)
        elif isinstance(part, ToolUsePart):
            flush()
            output.append(_call_item(part.id, part.name, part.arguments, "completed"))
    flush()
    status, reason = _status(response.finish_reason)
    return _response(meta, status, output, _usage(response.usage), incomplete=reason)


class ResponsesStreamRenderer:
    """Canonical stream events as the typed Responses events, each with its `sequence_number`:
    items open, receive deltas and close in order, and the stream ends with the full response."""

    def __init__(self, meta: StreamMeta) -> None:
        self.meta = meta
        self._sequence = 0
        self._output: list[dict[str, Any]] = []
        self._open: int | None = None  # output index of the item receiving deltas
        self._text: list[str] = []
        self._calls: dict[int, int] = {}  # canonical tool index -> output index
        self._done = False

    def _emit(self, kind: str, **fields: Any) -> bytes:
        body = {"type": kind, "sequence_number": self._sequence, **fields}
        self._sequence += 1
        return frame(_encode(body), event=kind)

    def start(self) -> bytes:
        snapshot = _response(self.meta, "in_progress", [], None)
        return self._emit("response.created", response=snapshot) + self._emit(
            "response.in_progress", response=snapshot
        )

    def _open_message(self) -> bytes:
        out = self._close()
        index = len(self._output)
        item = _output_message(f"msg_{self.meta.id}_{index}", "", "in_progress")
        self._output.append(item)
        self._open, self._text = index, []
        out += self._emit("response.output_item.added", output_index=index, item=item)
        return out + self._emit(
            "response.content_part.added",
            item_id=item["id"],
            output_index=index,
            content_index=0,
            part=_text_part(""),
        )

    def _close(self) -> bytes:
        if self._open is None:
            return b""
        index, self._open = self._open, None
        item = self._output[index]
        item["status"] = "completed"
        out = b""
        if item["type"] == "message":
            text = "".join(self._text)
            part = _text_part(text)
            item["content"] = [part]
            common = {"item_id": item["id"], "output_index": index, "content_index": 0}
            out += self._emit("response.output_text.done", text=text, logprobs=[], **common)
            out += self._emit("response.content_part.done", part=part, **common)
        else:
            out += self._emit(
                "response.function_call_arguments.done",
                item_id=item["id"],
                output_index=index,
                name=item["name"],
                arguments=item["arguments"],
            )
        return out + self._emit("response.output_item.done", output_index=index, item=item)

    def event(self, ev: StreamEvent) -> bytes:
        if isinstance(ev, TextDelta):
            if not ev.text:
                return b""
            out = b""
            if self._open is None or self._output[self._open]["type"] != "message":
                out = self._open_message()
            assert self._open is not None
            self._text.append(ev.text)
            return out + self._emit(
                "response.output_text.delta",
                item_id=self._output[self._open]["id"],
                output_index=self._open,
                content_index=0,
                delta=ev.text,
                logprobs=[],
            )
        if isinstance(ev, ToolCallStart):
            out = self._close()
            index = len(self._output)
            item = _call_item(ev.id, ev.name, "", "in_progress")
            self._output.append(item)
            self._calls[ev.index] = index
            self._open = index
            return out + self._emit("response.output_item.added", output_index=index, item=item)
        if isinstance(ev, ToolCallDelta):
            position = self._calls.get(ev.index)
            if position is None or not ev.arguments:
                return b""
            item = self._output[position]
            item["arguments"] += ev.arguments
            return self._emit(
                "response.function_call_arguments.delta",
                item_id=item["id"],
                output_index=position,
                delta=ev.arguments,
            )
        if isinstance(ev, StreamEnd):
            return self.finish(ev)
        return b""

    def finish(self, end: StreamEnd) -> bytes:
        if self._done:
            return b""
        self._done = True
        out = self._close()
        status, reason = _status(end.finish_reason)
        usage = _usage(end.usage, self.meta.input_tokens)
        final = _response(self.meta, status, self._output, usage, incomplete=reason)
        kind = "response.completed" if status == "completed" else "response.incomplete"
        return out + self._emit(kind, response=final)

    def error(self, err: GatewayError) -> bytes:
        if self._done:
            return b""
        self._done = True
        detail = error_object(err)
        code = detail["code"] or detail["type"]
        out = self._emit("error", code=code, message=err.message, param=err.param)
        failed = _response(
            self.meta, "failed", self._output, None, error={"code": code, "message": err.message}
        )
        return out + self._emit("response.failed", response=failed)
