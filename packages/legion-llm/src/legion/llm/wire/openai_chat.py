"""OpenAI `/v1/chat/completions`: client requests in, `chat.completion` objects and chunk streams
out, and the same format spoken to OpenAI-compatible upstreams.

The OpenAI dialect has no thinking blocks, so thinking parts and deltas are never rendered to a
client here and are dropped from requests sent upstream. Upstream `reasoning_content` (vLLM,
DeepSeek, llama.cpp) is read into thinking parts so other dialects can show it.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from typing import Any

import msgspec

from legion.llm.canonical import (
    CONTINUE_PROMPT,
    ChatRequest,
    ChatResponse,
    FinishReason,
    ImagePart,
    Message,
    Part,
    StreamEnd,
    StreamEvent,
    StreamMeta,
    TextDelta,
    TextPart,
    ThinkingDelta,
    ThinkingPart,
    Tool,
    ToolCallDelta,
    ToolCallStart,
    ToolChoice,
    ToolResultPart,
    ToolUsePart,
    Usage,
)
from legion.llm.errors import ErrorKind, GatewayError
from legion.llm.sse import frame
from legion.llm.wire.openai_errors import error_object

_encode = msgspec.json.Encoder().encode

# --- request validation, shared by the OpenAI dialects ------------------------------------------


def invalid(message: str, param: str | None) -> GatewayError:
    return GatewayError(ErrorKind.INVALID_REQUEST, message, param=param)


def unsupported(message: str, param: str | None) -> GatewayError:
    return GatewayError(ErrorKind.UNSUPPORTED, message, param=param)


def expect_object(value: Any, param: str | None) -> dict[str, Any]:
    if not isinstance(value, dict):
        where = f"'{param}'" if param else "The request body"
        raise invalid(f"{where} must be a JSON object.", param)
    return value


def expect_str(value: Any, param: str) -> str:
    if value is None:
        raise invalid(f"Missing required parameter: '{param}'.", param)
    if not isinstance(value, str):
        raise invalid(f"Invalid type for '{param}': expected a string.", param)
    return value


def optional_str(value: Any, param: str) -> str | None:
    return None if value is None else expect_str(value, param)


def expect_int(value: Any, param: str, minimum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid(f"Invalid type for '{param}': expected an integer.", param)
    if minimum is not None and value < minimum:
        raise invalid(f"Invalid '{param}': {value} is below the minimum of {minimum}.", param)
    return value


def expect_number(value: Any, param: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise invalid(f"Invalid type for '{param}': expected a number.", param)
    if not low <= value <= high:
        raise invalid(f"Invalid '{param}': {value} is not between {low} and {high}.", param)
    return float(value)


def expect_bool(value: Any, param: str) -> bool:
    if not isinstance(value, bool):
        raise invalid(f"Invalid type for '{param}': expected a boolean.", param)
    return value


def expect_list(value: Any, param: str) -> list[Any]:
    if value is None:
        raise invalid(f"Missing required parameter: '{param}'.", param)
    if not isinstance(value, list):
        raise invalid(f"Invalid type for '{param}': expected an array.", param)
    return value


def parse_model(body: dict[str, Any]) -> str:
    model = expect_str(body.get("model"), "model")
    if not model:
        raise invalid("Invalid 'model': must not be empty.", "model")
    return model


def parse_stop(value: Any, param: str = "stop") -> list[str]:
    if isinstance(value, str):
        return [value]
    items = expect_list(value, param)
    return [expect_str(item, f"{param}[{i}]") for i, item in enumerate(items)]


# reasoning_effort / reasoning.effort values to the router's effort scale; "none" asks for none.
_EFFORT: dict[str, Any] = {
    "none": None,
    "minimal": "low",
    "low": "low",
    "medium": "moderate",
    "high": "high",
    "xhigh": "high",
}


def apply_effort(request: ChatRequest, value: Any, param: str) -> None:
    """Record a reasoning effort as a routing hint, and keep it for OpenAI-family upstreams."""
    effort = expect_str(value, param)
    if effort not in _EFFORT:
        allowed = ", ".join(f"'{name}'" for name in _EFFORT)
        raise invalid(f"Invalid value for '{param}': '{effort}'. Supported: {allowed}.", param)
    request.hints.effort = _EFFORT[effort]
    request.extra["reasoning_effort"] = effort


def apply_common(request: ChatRequest, body: dict[str, Any], key: str, value: Any) -> bool:
    """Set the parameters chat and legacy completions share; False when `key` is not one."""
    if key == "max_completion_tokens":
        request.max_tokens = expect_int(value, key, 1)
    elif key == "max_tokens":
        if body.get("max_completion_tokens") is None:
            request.max_tokens = expect_int(value, key, 1)
    elif key == "temperature":
        request.temperature = expect_number(value, key, 0.0, 2.0)
    elif key == "top_p":
        request.top_p = expect_number(value, key, 0.0, 1.0)
    elif key == "stop":
        request.stop = parse_stop(value)
    elif key == "stream":
        request.stream = expect_bool(value, key)
    elif key == "user":
        request.user = expect_str(value, key)
    elif key == "metadata":
        request.metadata = expect_object(value, key)
    elif key == "n":
        if expect_int(value, key, 1) > 1:
            raise unsupported("'n' greater than 1 is not supported by this gateway.", key)
    elif key == "stream_options":
        request.extra[key] = expect_object(value, key)
    else:
        return False
    return True


# --- parsing client requests --------------------------------------------------------------------


def _text_parts(value: Any, param: str) -> list[Part]:
    """Content that may only hold text: a string or a list of `text` parts."""
    if isinstance(value, str):
        return [TextPart(value)]
    items = expect_list(value, param)
    parts: list[Part] = []
    for i, raw in enumerate(items):
        where = f"{param}[{i}]"
        item = expect_object(raw, where)
        kind = item.get("type")
        if kind not in ("text", "refusal"):
            raise invalid(f"Invalid value for '{where}.type': expected 'text'.", f"{where}.type")
        parts.append(TextPart(expect_str(item.get(kind), f"{where}.{kind}")))
    return parts


def _image_part(item: dict[str, Any], where: str) -> ImagePart:
    raw = item.get("image_url")
    if isinstance(raw, str):
        return ImagePart(raw)
    image = expect_object(raw, f"{where}.image_url")
    url = expect_str(image.get("url"), f"{where}.image_url.url")
    detail = optional_str(image.get("detail"), f"{where}.image_url.detail")
    if detail is not None and detail not in ("auto", "low", "high"):
        raise invalid(
            f"Invalid value for '{where}.image_url.detail': '{detail}'.",
            f"{where}.image_url.detail",
        )
    return ImagePart(url, detail)


def _user_parts(value: Any, param: str) -> list[Part]:
    if isinstance(value, str):
        return [TextPart(value)]
    items = expect_list(value, param)
    parts: list[Part] = []
    for i, raw in enumerate(items):
        where = f"{param}[{i}]"
        item = expect_object(raw, where)
        kind = item.get("type")
        if kind == "text":
            parts.append(TextPart(expect_str(item.get("text"), f"{where}.text")))
        elif kind == "image_url":
            parts.append(_image_part(item, where))
        elif kind in ("input_audio", "file"):
            raise unsupported(f"Content part type '{kind}' is not supported here.", where)
        else:
            raise invalid(
                f"Invalid value for '{where}.type': '{kind}'. "
                "Supported values are: 'text', 'image_url', 'input_audio' and 'file'.",
                f"{where}.type",
            )
    return parts


def _tool_call(raw: Any, where: str) -> ToolUsePart:
    call = expect_object(raw, where)
    kind = call.get("type", "function")
    if kind != "function":
        raise unsupported(f"Tool call type '{kind}' is not supported.", f"{where}.type")
    function = expect_object(call.get("function"), f"{where}.function")
    arguments = function.get("arguments", "")
    if isinstance(arguments, dict):
        arguments = _encode(arguments).decode()
    return ToolUsePart(
        id=expect_str(call.get("id"), f"{where}.id"),
        name=expect_str(function.get("name"), f"{where}.function.name"),
        arguments=expect_str(arguments, f"{where}.function.arguments"),
    )


def _assistant_message(message: dict[str, Any], param: str, name: str | None) -> Message:
    parts: list[Part] = []
    content = message.get("content")
    if isinstance(content, str):
        if content:
            parts.append(TextPart(content))
    elif content is not None:
        parts.extend(_text_parts(content, f"{param}.content"))
    raw_calls = message.get("tool_calls")
    if raw_calls is not None:
        calls = expect_list(raw_calls, f"{param}.tool_calls")
        parts.extend(_tool_call(call, f"{param}.tool_calls[{i}]") for i, call in enumerate(calls))
    if message.get("function_call") is not None:
        raise unsupported(
            "The deprecated 'function_call' is not supported; use 'tool_calls'.",
            f"{param}.function_call",
        )
    if content is None and raw_calls is None:
        raise invalid(
            f"Missing required parameter: '{param}.content' (or '{param}.tool_calls').",
            f"{param}.content",
        )
    return Message("assistant", parts, name)


def _tool_message(message: dict[str, Any], param: str) -> Message:
    call_id = expect_str(message.get("tool_call_id"), f"{param}.tool_call_id")
    content = message.get("content")
    if content is None:
        raise invalid(f"Missing required parameter: '{param}.content'.", f"{param}.content")
    parts = _text_parts(content, f"{param}.content")
    texts = [p for p in parts if isinstance(p, TextPart) and p.text]
    return Message("tool", [ToolResultPart(call_id, list(texts))])


def _message(raw: Any, param: str) -> Message:
    message = expect_object(raw, param)
    role = message.get("role")
    if role is None:
        raise invalid(f"Missing required parameter: '{param}.role'.", f"{param}.role")
    name = optional_str(message.get("name"), f"{param}.name")
    if role in ("system", "developer"):
        content = message.get("content")
        if content is None:
            raise invalid(f"Missing required parameter: '{param}.content'.", f"{param}.content")
        return Message("system", _text_parts(content, f"{param}.content"), name)
    if role == "user":
        content = message.get("content")
        if content is None:
            raise invalid(f"Missing required parameter: '{param}.content'.", f"{param}.content")
        return Message("user", _user_parts(content, f"{param}.content"), name)
    if role == "assistant":
        return _assistant_message(message, param, name)
    if role == "tool":
        return _tool_message(message, param)
    if role == "function":
        raise unsupported("The deprecated 'function' role is not supported; use 'tool'.", param)
    raise invalid(
        f"Invalid value for '{param}.role': {role!r}. Supported values are: "
        "'system', 'developer', 'user', 'assistant' and 'tool'.",
        f"{param}.role",
    )


def parse_tool_schema(raw: Any, where: str, schema_param: str) -> dict[str, Any]:
    if raw is None:
        return {"type": "object", "properties": {}}
    schema = expect_object(raw, schema_param)
    kind = schema.get("type")
    if kind is not None and kind != "object":
        raise invalid(
            f"Invalid schema for function in '{where}': parameters must be of type 'object'.",
            schema_param,
        )
    return schema


def _tools(value: Any) -> list[Tool]:
    tools: list[Tool] = []
    for i, raw in enumerate(expect_list(value, "tools")):
        where = f"tools[{i}]"
        tool = expect_object(raw, where)
        kind = tool.get("type")
        if kind != "function":
            if kind == "custom":
                raise unsupported(f"Tool type '{kind}' is not supported.", f"{where}.type")
            raise invalid(f"Invalid value for '{where}.type': '{kind}'.", f"{where}.type")
        function = expect_object(tool.get("function"), f"{where}.function")
        name = expect_str(function.get("name"), f"{where}.function.name")
        if not name:
            raise invalid(f"Invalid '{where}.function.name': empty.", f"{where}.function.name")
        tools.append(
            Tool(
                name=name,
                description=optional_str(
                    function.get("description"), f"{where}.function.description"
                ),
                parameters=parse_tool_schema(
                    function.get("parameters"), where, f"{where}.function.parameters"
                ),
            )
        )
    return tools


def parse_tool_choice(value: Any, *, flat: bool) -> ToolChoice:
    """`auto`/`none`/`required`, or a named function: nested (chat) or `flat` (Responses)."""
    if isinstance(value, str):
        if value not in ("auto", "none", "required"):
            raise invalid(
                f"Invalid value for 'tool_choice': '{value}'. "
                "Supported values are: 'auto', 'none' and 'required'.",
                "tool_choice",
            )
        return ToolChoice(mode=value)  # type: ignore[arg-type]
    choice = expect_object(value, "tool_choice")
    if choice.get("type") != "function":
        raise unsupported(
            f"tool_choice of type '{choice.get('type')}' is not supported.", "tool_choice.type"
        )
    if flat:
        return ToolChoice("tool", expect_str(choice.get("name"), "tool_choice.name"))
    function = expect_object(choice.get("function"), "tool_choice.function")
    return ToolChoice("tool", expect_str(function.get("name"), "tool_choice.function.name"))


def parse_chat_request(body: Any) -> ChatRequest:
    """A `/v1/chat/completions` body (decoded JSON) in canonical form; errors name the field."""
    body = expect_object(body, None)
    model = parse_model(body)
    raw_messages = expect_list(body.get("messages"), "messages")
    if not raw_messages:
        raise invalid("Invalid 'messages': empty array. Expected at least 1 message.", "messages")
    messages = [_message(raw, f"messages[{i}]") for i, raw in enumerate(raw_messages)]
    request = ChatRequest(model=model, messages=messages)
    for key, value in body.items():
        if key in ("model", "messages") or value is None:
            continue
        if apply_common(request, body, key, value):
            continue
        if key == "tools":
            request.tools = _tools(value)
        elif key == "tool_choice":
            request.tool_choice = parse_tool_choice(value, flat=False)
        elif key == "response_format":
            request.response_format = expect_object(value, key)
        elif key == "reasoning_effort":
            apply_effort(request, value, key)
        elif key in ("functions", "function_call"):
            raise unsupported(f"The deprecated '{key}' is not supported; use 'tools'.", key)
        else:
            request.extra[key] = value
    return request


# --- rendering to clients -----------------------------------------------------------------------


def wire_finish_reason(reason: FinishReason) -> str:
    return "stop" if reason == "error" else reason


def usage_to_wire(usage: Usage, input_fallback: int = 0) -> dict[str, Any]:
    prompt = usage.input_tokens or input_fallback
    return {
        "prompt_tokens": prompt,
        "completion_tokens": usage.output_tokens,
        "total_tokens": prompt + usage.output_tokens,
        "prompt_tokens_details": {"cached_tokens": usage.cache_read_tokens},
        "completion_tokens_details": {"reasoning_tokens": usage.thinking_tokens},
    }


def _tool_call_to_wire(part: ToolUsePart) -> dict[str, Any]:
    return {
        "id": part.id,
        "type": "function",
        "function": {"name": part.name, "arguments": part.arguments},
    }


def render_chat_response(response: ChatResponse, model: str) -> dict[str, Any]:
    """A `chat.completion` object. Thinking parts are left out: the OpenAI chat format has no
    place for them."""
    text = response.text()
    calls = response.tool_calls()
    message: dict[str, Any] = {
        "role": "assistant",
        "content": text if text or not calls else None,
        "refusal": None,
    }
    if calls:
        message["tool_calls"] = [_tool_call_to_wire(call) for call in calls]
    return {
        "id": response.id,
        "object": "chat.completion",
        "created": response.created or int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": message,
                "logprobs": None,
                "finish_reason": wire_finish_reason(response.finish_reason),
            }
        ],
        "usage": usage_to_wire(response.usage),
        "system_fingerprint": None,
    }


class ChatStreamRenderer:
    """Canonical stream events as `chat.completion.chunk` SSE frames. Thinking deltas have no
    frame in this dialect. `finish` runs once; an `event(StreamEnd)` is the same as `finish`."""

    def __init__(self, meta: StreamMeta, include_usage: bool) -> None:
        self.meta = meta
        self.include_usage = include_usage
        self._done = False

    def _chunk(self, delta: dict[str, Any], finish_reason: str | None = None) -> bytes:
        return frame(
            _encode(
                {
                    "id": self.meta.id,
                    "object": "chat.completion.chunk",
                    "created": self.meta.created,
                    "model": self.meta.model,
                    "system_fingerprint": None,
                    "choices": [
                        {
                            "index": 0,
                            "delta": delta,
                            "logprobs": None,
                            "finish_reason": finish_reason,
                        }
                    ],
                }
            )
        )

    def start(self) -> bytes:
        return self._chunk({"role": "assistant", "content": ""})

    def event(self, ev: StreamEvent) -> bytes:
        if isinstance(ev, TextDelta):
            return self._chunk({"content": ev.text}) if ev.text else b""
        if isinstance(ev, ToolCallStart):
            call = {
                "index": ev.index,
                "id": ev.id,
                "type": "function",
                "function": {"name": ev.name, "arguments": ""},
            }
            return self._chunk({"tool_calls": [call]})
        if isinstance(ev, ToolCallDelta):
            if not ev.arguments:
                return b""
            call = {"index": ev.index, "function": {"arguments": ev.arguments}}
            return self._chunk({"tool_calls": [call]})
        if isinstance(ev, StreamEnd):
            return self.finish(ev)
        return b""

    def finish(self, end: StreamEnd) -> bytes:
        if self._done:
            return b""
        self._done = True
        out = self._chunk({}, wire_finish_reason(end.finish_reason))
        if self.include_usage:
            usage = {
                "id": self.meta.id,
                "object": "chat.completion.chunk",
                "created": self.meta.created,
                "model": self.meta.model,
                "system_fingerprint": None,
                "choices": [],
                "usage": usage_to_wire(end.usage, self.meta.input_tokens),
            }
            out += frame(_encode(usage))
        return out + frame(b"[DONE]")

    def error(self, err: GatewayError) -> bytes:
        if self._done:
            return b""
        self._done = True
        return frame(_encode({"error": error_object(err)})) + frame(b"[DONE]")


# --- speaking to upstreams ----------------------------------------------------------------------

# Extra keys that are the gateway's own bookkeeping or that the stream flag decides.
_NOT_FORWARDED = frozenset({"legacy_completion", "stream", "stream_options"})
# Anthropic request fields that the Anthropic dialect keeps in `extra`; an OpenAI upstream
# refuses unknown fields, and the routing hint already carries what `thinking` asked for.
_ANTHROPIC_ONLY = frozenset(
    {"thinking", "disable_parallel_tool_use", "container", "mcp_servers", "context_management"}
)


def _content_to_wire(parts: Sequence[Part]) -> str | list[dict[str, Any]]:
    texts = [p for p in parts if isinstance(p, TextPart)]
    if len(texts) == len(parts) and len(texts) <= 1:
        return texts[0].text if texts else ""
    out: list[dict[str, Any]] = []
    for part in parts:
        if isinstance(part, TextPart):
            out.append({"type": "text", "text": part.text})
        elif isinstance(part, ImagePart):
            image: dict[str, Any] = {"url": part.url}
            if part.detail is not None:
                image["detail"] = part.detail
            out.append({"type": "image_url", "image_url": image})
    return out


def _tool_results_to_wire(results: list[ToolResultPart]) -> list[dict[str, Any]]:
    """Tool messages, then one user message with any images the tools returned (OpenAI tool
    messages hold text only)."""
    out: list[dict[str, Any]] = []
    images: list[Part] = []
    for result in results:
        texts: list[Part] = [p for p in result.content if isinstance(p, TextPart)]
        images.extend(p for p in result.content if isinstance(p, ImagePart))
        content = _content_to_wire(texts)
        if result.is_error:
            # OpenAI has no error flag on tool results; say it in the text.
            content = "[tool error] " + "".join(p.text for p in texts if isinstance(p, TextPart))
        out.append({"role": "tool", "tool_call_id": result.tool_call_id, "content": content})
    if images:
        out.append({"role": "user", "content": _content_to_wire(images)})
    return out


def messages_to_wire(messages: list[Message]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for message in messages:
        results = [p for p in message.content if isinstance(p, ToolResultPart)]
        out.extend(_tool_results_to_wire(results))
        if message.role == "tool":
            continue
        if message.role == "assistant":
            wire: dict[str, Any] = {"role": "assistant"}
            text = message.text()
            calls = [p for p in message.content if isinstance(p, ToolUsePart)]
            wire["content"] = text if text or not calls else None
            if calls:
                wire["tool_calls"] = [_tool_call_to_wire(call) for call in calls]
        else:
            kept = [p for p in message.content if isinstance(p, TextPart | ImagePart)]
            if results and not kept:
                continue
            if message.role == "system":
                kept = [p for p in kept if isinstance(p, TextPart)]
            wire = {"role": message.role, "content": _content_to_wire(kept)}
        if message.name is not None:
            wire["name"] = message.name
        out.append(wire)
    return out


def _tool_choice_to_wire(choice: ToolChoice) -> str | dict[str, Any]:
    if choice.mode == "tool":
        return {"type": "function", "function": {"name": choice.name}}
    return choice.mode


def chat_request_to_wire(request: ChatRequest, model: str, *, stream: bool) -> dict[str, Any]:
    """The upstream body for `request`. Canonical `metadata` is the gateway's (ledger tags) and
    is forwarded only with `store`, the one case where OpenAI accepts it."""
    messages = messages_to_wire(request.messages)
    if request.continue_from:
        messages.append({"role": "assistant", "content": request.continue_from})
        messages.append({"role": "user", "content": CONTINUE_PROMPT})
    body: dict[str, Any] = {"model": model, "messages": messages}
    if request.max_tokens is not None:
        body["max_tokens"] = request.max_tokens
    if request.temperature is not None:
        body["temperature"] = request.temperature
    if request.top_p is not None:
        body["top_p"] = request.top_p
    if request.stop:
        body["stop"] = list(request.stop)
    if request.tools:
        body["tools"] = [
            {"type": "function", "function": _function_to_wire(tool)} for tool in request.tools
        ]
        if request.tool_choice is not None:
            body["tool_choice"] = _tool_choice_to_wire(request.tool_choice)
    if request.response_format is not None:
        body["response_format"] = request.response_format
    if request.user is not None:
        body["user"] = request.user
    if request.metadata and request.extra.get("store"):
        body["metadata"] = request.metadata
    for key, value in request.extra.items():
        if key in _NOT_FORWARDED or key in _ANTHROPIC_ONLY or key in body:
            continue
        if key == "parallel_tool_calls" and not request.tools:
            continue
        body[key] = value
    if request.tools and request.extra.get("disable_parallel_tool_use") is True:
        body["parallel_tool_calls"] = False
    if stream:
        options = request.extra.get("stream_options")
        body["stream"] = True
        body["stream_options"] = {**(options if isinstance(options, dict) else {})}
        body["stream_options"]["include_usage"] = True
    return body


def _function_to_wire(tool: Tool) -> dict[str, Any]:
    function: dict[str, Any] = {"name": tool.name, "parameters": tool.parameters}
    if tool.description is not None:
        function["description"] = tool.description
    return function


_FINISH: dict[str, FinishReason] = {
    "stop": "stop",
    "eos": "stop",
    "end_turn": "stop",
    "length": "length",
    "max_tokens": "length",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
    "content_filter": "content_filter",
}


def finish_reason_from_wire(value: Any) -> FinishReason:
    return _FINISH.get(value, "stop") if isinstance(value, str) else "stop"


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def usage_from_wire(raw: Any) -> Usage:
    if not isinstance(raw, dict):
        return Usage()
    prompt_details = raw.get("prompt_tokens_details")
    prompt_details = prompt_details if isinstance(prompt_details, dict) else {}
    completion_details = raw.get("completion_tokens_details")
    completion_details = completion_details if isinstance(completion_details, dict) else {}
    return Usage(
        input_tokens=_int(raw.get("prompt_tokens")),
        output_tokens=_int(raw.get("completion_tokens")),
        thinking_tokens=_int(completion_details.get("reasoning_tokens")),
        cache_read_tokens=_int(prompt_details.get("cached_tokens")),
    )


def malformed(what: str) -> GatewayError:
    return GatewayError(ErrorKind.UPSTREAM, f"malformed upstream response: {what}", upstream=True)


def _upstream_text(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            p["text"] for p in content if isinstance(p, dict) and isinstance(p.get("text"), str)
        )
    raise malformed("choices[0].message.content is neither a string nor null")


def _upstream_tool_call(raw: Any, index: int) -> ToolUsePart:
    if not isinstance(raw, dict) or not isinstance(raw.get("function"), dict):
        raise malformed(f"choices[0].message.tool_calls[{index}] has no function object")
    function = raw["function"]
    name = function.get("name")
    if not isinstance(name, str):
        raise malformed(f"choices[0].message.tool_calls[{index}].function.name is missing")
    arguments = function.get("arguments")
    if isinstance(arguments, dict):
        arguments = _encode(arguments).decode()
    elif arguments is None:
        arguments = ""
    elif not isinstance(arguments, str):
        raise malformed(f"choices[0].message.tool_calls[{index}].function.arguments is not text")
    call_id = raw.get("id")
    if not isinstance(call_id, str) or not call_id:
        call_id = f"call_{uuid.uuid4().hex[:24]}"
    return ToolUsePart(call_id, name, arguments)


def chat_response_from_wire(body: Any) -> ChatResponse:
    """A `chat.completion` from an upstream; anything unreadable is an UPSTREAM error."""
    if not isinstance(body, dict):
        raise malformed("the body is not a JSON object")
    if isinstance(body.get("error"), dict | str):
        error = body["error"]
        message = error.get("message") if isinstance(error, dict) else error
        raise GatewayError(ErrorKind.UPSTREAM, f"upstream error: {message}", upstream=True)
    choices = body.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise malformed("no choices")
    message = choices[0].get("message")
    if not isinstance(message, dict):
        raise malformed("choices[0].message is not an object")
    content: list[Part] = []
    reasoning = message.get("reasoning_content") or message.get("reasoning")
    if isinstance(reasoning, str) and reasoning:
        content.append(ThinkingPart(reasoning))
    text = _upstream_text(message.get("content"))
    if text:
        content.append(TextPart(text))
    raw_calls = message.get("tool_calls")
    if raw_calls is not None and not isinstance(raw_calls, list):
        raise malformed("choices[0].message.tool_calls is not an array")
    calls = [_upstream_tool_call(raw, i) for i, raw in enumerate(raw_calls or [])]
    content.extend(calls)
    finish = finish_reason_from_wire(choices[0].get("finish_reason"))
    if calls and finish == "stop":
        finish = "tool_calls"
    response_id = body.get("id")
    created = body.get("created")
    model = body.get("model")
    return ChatResponse(
        id=response_id if isinstance(response_id, str) else f"chatcmpl-{uuid.uuid4().hex}",
        model=model if isinstance(model, str) else "",
        content=content,
        finish_reason=finish,
        usage=usage_from_wire(body.get("usage")),
        created=_int(created) or int(time.time()),
    )


class ChatStreamParser:
    """Upstream `chat.completion.chunk` objects to canonical events. Upstream tool-call indexes
    are renumbered from 0 in order of appearance (some servers reuse or skip indexes)."""

    def __init__(self) -> None:
        self.finish_reason: FinishReason | None = None
        self.usage = Usage()
        self._calls: dict[int, tuple[int, str]] = {}  # upstream index -> (our index, call id)
        self._count = 0

    @property
    def finished(self) -> bool:
        return self.finish_reason is not None

    def feed(self, chunk: Any) -> list[StreamEvent]:
        if not isinstance(chunk, dict):
            raise malformed("a stream chunk is not a JSON object")
        error = chunk.get("error")
        if error is not None:
            message = error.get("message") if isinstance(error, dict) else error
            raise GatewayError(
                ErrorKind.UPSTREAM, f"upstream stream error: {message}", upstream=True
            )
        if isinstance(chunk.get("usage"), dict):
            self.usage = usage_from_wire(chunk["usage"])
        choices = chunk.get("choices")
        if choices is None:
            return []
        if not isinstance(choices, list):
            raise malformed("a stream chunk's choices is not an array")
        events: list[StreamEvent] = []
        for choice in choices:
            if not isinstance(choice, dict) or choice.get("index", 0) != 0:
                continue
            delta = choice.get("delta")
            if isinstance(delta, dict):
                self._delta(delta, events)
            elif delta is not None:
                raise malformed("a stream chunk's delta is not an object")
            reason = choice.get("finish_reason")
            if reason is not None:
                self.finish_reason = finish_reason_from_wire(reason)
        return events

    def _delta(self, delta: dict[str, Any], events: list[StreamEvent]) -> None:
        reasoning = delta.get("reasoning_content") or delta.get("reasoning")
        if isinstance(reasoning, str) and reasoning:
            events.append(ThinkingDelta(reasoning))
        text = delta.get("content")
        if isinstance(text, str) and text:
            events.append(TextDelta(text))
        calls = delta.get("tool_calls")
        if calls is None:
            return
        if not isinstance(calls, list):
            raise malformed("a stream delta's tool_calls is not an array")
        for position, raw in enumerate(calls):
            if not isinstance(raw, dict):
                raise malformed("a stream tool call is not an object")
            self._tool_delta(raw, position, events)

    def _tool_delta(self, raw: dict[str, Any], position: int, events: list[StreamEvent]) -> None:
        upstream_index = raw.get("index", position)
        if not isinstance(upstream_index, int):
            raise malformed("a stream tool call index is not an integer")
        function = raw.get("function")
        if not isinstance(function, dict):
            function = {}
        call_id = raw.get("id")
        known = self._calls.get(upstream_index)
        if known is None or (isinstance(call_id, str) and call_id and call_id != known[1]):
            if not isinstance(call_id, str) or not call_id:
                call_id = f"call_{uuid.uuid4().hex[:24]}"
            name = function.get("name")
            known = (self._count, call_id)
            self._calls[upstream_index] = known
            self._count += 1
            events.append(ToolCallStart(known[0], call_id, name if isinstance(name, str) else ""))
        arguments = function.get("arguments")
        if isinstance(arguments, dict):
            arguments = _encode(arguments).decode()
        if isinstance(arguments, str) and arguments:
            events.append(ToolCallDelta(known[0], arguments))

    def end(self) -> StreamEnd:
        reason = self.finish_reason or "stop"
        if self._count and reason == "stop":
            reason = "tool_calls"
        return StreamEnd(reason, self.usage)
