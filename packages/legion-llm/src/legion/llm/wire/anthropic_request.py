"""A client's Anthropic Messages request (`POST /v1/messages`, `/v1/messages/count_tokens`)
validated as Anthropic validates it and parsed into the canonical model; every refusal names its
field (`messages.1.content.0`) so the client can find it.

Tool results: each `tool_result` block becomes a `tool` Message of its own (the shape every
other dialect uses), in place; the rest of that user turn follows as a `user` Message.
Redacted thinking is a ThinkingPart with empty text whose `signature` holds the opaque data.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from legion.llm.canonical import (
    ChatRequest,
    ImagePart,
    Message,
    Part,
    RouteHints,
    TextPart,
    ThinkingPart,
    Tool,
    ToolChoice,
    ToolResultPart,
    ToolUsePart,
)
from legion.llm.errors import ErrorKind, GatewayError

# Request fields with a canonical home; anything else goes to ChatRequest.extra.
_KNOWN = frozenset(
    {"model", "messages", "max_tokens", "system", "tools", "tool_choice", "stop_sequences"}
    | {"temperature", "top_p", "stream", "metadata", "thinking"}
)
_CHOICE_MODES: dict[Any, Literal["auto", "none", "required", "tool"]] = {
    "auto": "auto",
    "any": "required",
    "tool": "tool",
    "none": "none",
}


def _invalid(param: str, problem: str, kind: ErrorKind = ErrorKind.INVALID_REQUEST) -> GatewayError:
    return GatewayError(kind, f"{param}: {problem}", param=param)


def _str(obj: dict[str, Any], key: str, where: str, *, required: bool = True) -> str | None:
    value = obj.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise _invalid(f"{where}{key}", "Field required" if value is None else "must be a string")
    return value


def _number(body: dict[str, Any], key: str, low: float, high: float) -> float | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise _invalid(key, f"must be a number between {low:g} and {high:g}")
    return float(value)


def parse_messages_request(body: Any) -> ChatRequest:
    """A client's Messages request, validated as Anthropic validates it, in canonical form."""
    return _parse(body, need_max_tokens=True)


def parse_count_tokens_request(body: Any) -> ChatRequest:
    """A `count_tokens` request: a Messages request without max_tokens."""
    return _parse(body, need_max_tokens=False)


def render_count_tokens(n: int) -> dict[str, Any]:
    return {"input_tokens": n}


def _parse(body: Any, *, need_max_tokens: bool) -> ChatRequest:
    if not isinstance(body, dict):
        raise GatewayError(ErrorKind.INVALID_REQUEST, "request body must be a JSON object")
    model = _str(body, "model", "")
    if not model:
        raise _invalid("model", "must not be empty")
    max_tokens = body.get("max_tokens")
    if max_tokens is None and need_max_tokens:
        raise _invalid("max_tokens", "Field required")
    if max_tokens is not None and (
        isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 1
    ):
        raise _invalid("max_tokens", "must be a positive integer")
    raw = body.get("messages")
    if not isinstance(raw, list):
        raise _invalid("messages", "Field required" if raw is None else "must be a list")
    if not raw:
        raise _invalid("messages", "at least one message is required")
    messages = _parse_system(body.get("system"))
    for i, item in enumerate(raw):
        messages.extend(_parse_message(item, f"messages.{i}", last=i == len(raw) - 1))

    stop = body.get("stop_sequences")
    if stop is not None and (
        not isinstance(stop, list) or not all(isinstance(s, str) for s in stop)
    ):
        raise _invalid("stop_sequences", "must be a list of strings")
    stream = body.get("stream", False)
    if not isinstance(stream, bool):
        raise _invalid("stream", "must be a boolean")
    metadata = body.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise _invalid("metadata", "must be an object")
    user = _str(metadata, "user_id", "metadata.", required=False) if metadata else None

    extra = {k: v for k, v in body.items() if k not in _KNOWN}
    hints = RouteHints()
    thinking = body.get("thinking")
    if thinking is not None:
        if not isinstance(thinking, dict) or not isinstance(thinking.get("type"), str):
            raise _invalid("thinking.type", "Field required")
        if thinking["type"] == "enabled":
            budget = thinking.get("budget_tokens")
            if isinstance(budget, bool) or not isinstance(budget, int) or budget < 1:
                raise _invalid("thinking.budget_tokens", "must be a positive integer")
        if thinking["type"] != "disabled":
            hints.effort = "reasoning"
        extra["thinking"] = thinking
    tools, choice = _parse_tools(body.get("tools"), body.get("tool_choice"), extra)
    return ChatRequest(
        model=model,
        messages=messages,
        max_tokens=max_tokens,
        temperature=_number(body, "temperature", 0.0, 1.0),
        top_p=_number(body, "top_p", 0.0, 1.0),
        stop=list(stop or []),
        stream=stream,
        tools=tools,
        tool_choice=choice,
        user=user,
        metadata=dict(metadata or {}),
        extra=extra,
        hints=hints,
    )


def _parse_system(system: Any) -> list[Message]:
    if system is None:
        return []
    if isinstance(system, str):
        return [Message("system", [TextPart(system)])] if system else []
    if not isinstance(system, list):
        raise _invalid("system", "must be a string or a list of text blocks")
    parts: list[Part] = []
    for j, block in enumerate(system):
        if not isinstance(block, dict) or block.get("type") != "text":
            raise _invalid(f"system.{j}", "system blocks must be text blocks")
        parts.append(TextPart(_str(block, "text", f"system.{j}.") or ""))
    return [Message("system", parts)] if parts else []


def _parse_message(item: Any, where: str, *, last: bool) -> list[Message]:
    if not isinstance(item, dict):
        raise _invalid(where, "must be an object")
    role = item.get("role")
    if role not in ("user", "assistant"):
        raise _invalid(f"{where}.role", "must be 'user' or 'assistant'")
    content = item.get("content")
    if isinstance(content, str):
        if not content and not (last and role == "assistant"):
            raise _invalid(f"{where}.content", "must not be empty")
        return [Message(role, [TextPart(content)])]
    if not isinstance(content, list):
        raise _invalid(f"{where}.content", "must be a string or a list of content blocks")
    if not content and not (last and role == "assistant"):
        raise _invalid(f"{where}.content", "must not be empty")
    out: list[Message] = []
    for j, block in enumerate(content):
        part = _parse_block(block, f"{where}.content.{j}", role)
        if isinstance(part, ToolResultPart):
            out.append(Message("tool", [part]))
        elif out and out[-1].role == role:
            out[-1].content.append(part)
        else:
            out.append(Message(role, [part]))
    return out or [Message(role, [])]


def _parse_block(block: Any, where: str, role: str) -> Part:
    if not isinstance(block, dict):
        raise _invalid(where, "must be a content block object")
    kind = block.get("type")
    if kind == "text":
        return TextPart(_str(block, "text", f"{where}.") or "")
    if kind == "image":
        return _parse_image(block, where)
    if kind == "tool_use":
        if role != "assistant":
            raise _invalid(where, "tool_use blocks are only allowed in assistant messages")
        arguments = block.get("input", {})
        if not isinstance(arguments, dict):
            raise _invalid(f"{where}.input", "must be an object")
        call_id = _str(block, "id", f"{where}.") or ""
        name = _str(block, "name", f"{where}.") or ""
        return ToolUsePart(call_id, name, msgspec.json.encode(arguments).decode())
    if kind == "tool_result":
        if role != "user":
            raise _invalid(where, "tool_result blocks are only allowed in user messages")
        return _parse_tool_result(block, where)
    if kind in ("thinking", "redacted_thinking"):
        if role != "assistant":
            raise _invalid(where, f"{kind} blocks are only allowed in assistant messages")
        if kind == "redacted_thinking":
            return ThinkingPart("", _str(block, "data", f"{where}."))
        text = _str(block, "thinking", f"{where}.") or ""
        return ThinkingPart(text, _str(block, "signature", f"{where}.", required=False))
    if not isinstance(kind, str):
        raise _invalid(f"{where}.type", "Field required")
    raise _invalid(where, f"content block type '{kind}' is not supported", ErrorKind.UNSUPPORTED)


def _parse_image(block: dict[str, Any], where: str) -> ImagePart:
    source = block.get("source")
    if not isinstance(source, dict):
        raise _invalid(f"{where}.source", "Field required")
    kind = source.get("type")
    if kind == "base64":
        media = _str(source, "media_type", f"{where}.source.")
        data = _str(source, "data", f"{where}.source.")
        return ImagePart(f"data:{media};base64,{data}")
    if kind == "url":
        url = _str(source, "url", f"{where}.source.") or ""
        if not url.startswith(("http://", "https://")):
            raise _invalid(f"{where}.source.url", "must be an http(s) URL")
        return ImagePart(url)
    raise _invalid(f"{where}.source.type", "image sources must be 'base64' or 'url'")


def _parse_tool_result(block: dict[str, Any], where: str) -> ToolResultPart:
    call_id = _str(block, "tool_use_id", f"{where}.") or ""
    content = block.get("content")
    parts: list[TextPart | ImagePart] = []
    if isinstance(content, str):
        parts.append(TextPart(content))
    elif isinstance(content, list):
        for k, inner in enumerate(content):
            part = _parse_block(inner, f"{where}.content.{k}", "tool")
            if not isinstance(part, TextPart | ImagePart):
                raise _invalid(f"{where}.content.{k}", "tool results hold text and images only")
            parts.append(part)
    elif content is not None:
        raise _invalid(f"{where}.content", "must be a string or a list of content blocks")
    is_error = block.get("is_error", False)
    if not isinstance(is_error, bool):
        raise _invalid(f"{where}.is_error", "must be a boolean")
    return ToolResultPart(call_id, parts, is_error)


def _parse_tools(
    raw: Any, choice: Any, extra: dict[str, Any]
) -> tuple[list[Tool], ToolChoice | None]:
    tools: list[Tool] = []
    if raw is not None and not isinstance(raw, list):
        raise _invalid("tools", "must be a list")
    for i, item in enumerate(raw or []):
        where = f"tools.{i}"
        if not isinstance(item, dict):
            raise _invalid(where, "must be an object")
        kind = item.get("type")
        if kind not in (None, "custom"):
            raise _invalid(
                f"{where}.type", f"server tool '{kind}' is not supported", ErrorKind.UNSUPPORTED
            )
        name = _str(item, "name", f"{where}.") or ""
        schema = item.get("input_schema")
        if not isinstance(schema, dict):
            raise _invalid(f"{where}.input_schema", "Field required")
        description = _str(item, "description", f"{where}.", required=False)
        tools.append(Tool(name, description, schema))
    if choice is None:
        return tools, None
    if not isinstance(choice, dict):
        raise _invalid("tool_choice", "must be an object")
    mode = _CHOICE_MODES.get(choice.get("type"))
    if mode is None:
        raise _invalid("tool_choice.type", "must be one of 'auto', 'any', 'tool', 'none'")
    chosen = _str(choice, "name", "tool_choice.") if mode == "tool" else None
    if choice.get("disable_parallel_tool_use") is not None:
        extra["disable_parallel_tool_use"] = bool(choice["disable_parallel_tool_use"])
    return tools, ToolChoice(mode, chosen)
