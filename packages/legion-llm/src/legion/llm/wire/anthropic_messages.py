"""Anthropic's Messages API (`POST /v1/messages`) in both directions: the answer rendered for a
client, and a canonical request written for an Anthropic upstream and its answer read. The one
import point for the dialect: request parsing, streams and errors are re-exported from their
modules.

Written upstream, `tool` Messages become user `tool_result` blocks and consecutive same-role
messages merge (Anthropic wants alternation), which restores a parsed client turn. Redacted
thinking is a ThinkingPart with empty text whose `signature` holds the opaque data.
"""

from __future__ import annotations

import time
from typing import Any

import msgspec

from legion.llm.canonical import (
    ChatRequest,
    ChatResponse,
    ImagePart,
    Part,
    TextPart,
    ThinkingPart,
    Tool,
    ToolChoice,
    ToolResultPart,
    ToolUsePart,
)
from legion.llm.errors import ErrorKind, GatewayError
from legion.llm.wire.anthropic_errors import render_error
from legion.llm.wire.anthropic_request import (
    parse_count_tokens_request,
    parse_messages_request,
    render_count_tokens,
)
from legion.llm.wire.anthropic_stream import (
    MessagesStreamParser,
    MessagesStreamRenderer,
    finish_reason,
    stop_reason,
    usage_from_wire,
    wire_usage,
)

__all__ = [
    "MessagesStreamParser",
    "MessagesStreamRenderer",
    "messages_request_to_wire",
    "messages_response_from_wire",
    "parse_count_tokens_request",
    "parse_messages_request",
    "render_count_tokens",
    "render_error",
    "render_messages_response",
]

# Extra fields an Anthropic upstream understands; other dialects' extras (seed, logit_bias…)
# are dropped rather than rejected upstream.
_PASS_THROUGH = frozenset(
    {"top_k", "thinking", "service_tier", "container", "mcp_servers", "context_management"}
)


# --- client response ----------------------------------------------------------------------------


def render_messages_response(response: ChatResponse, model: str) -> dict[str, Any]:
    """A complete answer as Anthropic's `message` object."""
    content: list[dict[str, Any]] = []
    for part in response.content:
        if isinstance(part, TextPart):
            content.append({"type": "text", "text": part.text})
        elif isinstance(part, ThinkingPart):
            if not part.text and part.signature:
                content.append({"type": "redacted_thinking", "data": part.signature})
            else:
                signature = part.signature or ""
                content.append({"type": "thinking", "thinking": part.text, "signature": signature})
        elif isinstance(part, ToolUsePart):
            content.append(
                {"type": "tool_use", "id": part.id, "name": part.name, "input": _input(part)}
            )
    message_id = response.id if response.id.startswith("msg_") else f"msg_{response.id}"
    return {
        "id": message_id,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": stop_reason(response.finish_reason),
        "stop_sequence": None,
        "usage": wire_usage(response.usage),
    }


def _input(call: ToolUsePart, kind: ErrorKind = ErrorKind.UPSTREAM) -> dict[str, Any]:
    """A tool call's arguments as the object Anthropic's `input` must be; a model's malformed
    arguments are an upstream fault, a client's are the client's."""
    if not call.arguments.strip():
        return {}
    try:
        value = msgspec.json.decode(call.arguments)
    except msgspec.DecodeError:
        value = None
    if not isinstance(value, dict):
        raise GatewayError(
            kind,
            f"tool call {call.id} ({call.name}): arguments are not a JSON object",
            upstream=kind == ErrorKind.UPSTREAM,
        )
    return value


# --- upstream request ---------------------------------------------------------------------------


def messages_request_to_wire(
    request: ChatRequest, model: str, *, stream: bool, default_max_tokens: int
) -> dict[str, Any]:
    """A canonical request as the body of an Anthropic `POST /v1/messages`."""
    system: list[str] = []
    turns: list[dict[str, Any]] = []
    for i, message in enumerate(request.messages):
        if message.role == "system":
            system.extend(p.text for p in message.content if isinstance(p, TextPart) and p.text)
            continue
        role = "assistant" if message.role == "assistant" else "user"
        blocks = [b for j, p in enumerate(message.content) if (b := _block(p, i, j)) is not None]
        if not blocks:
            continue
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": role, "content": blocks})
    if request.continue_from is not None and (prefill := request.continue_from.rstrip()):
        if turns and turns[-1]["role"] == "assistant":
            turns[-1]["content"].append({"type": "text", "text": prefill})
        else:
            turns.append({"role": "assistant", "content": [{"type": "text", "text": prefill}]})
    for turn in turns:  # Anthropic wants a user turn's tool results before anything else.
        turn["content"].sort(key=lambda b: b["type"] != "tool_result")

    body: dict[str, Any] = {
        "model": model,
        "messages": turns,
        "max_tokens": request.max_tokens or default_max_tokens,
    }
    if system:
        body["system"] = (
            system[0] if len(system) == 1 else [{"type": "text", "text": s} for s in system]
        )
    if request.stop:
        body["stop_sequences"] = list(request.stop)
    if request.temperature is not None:
        body["temperature"] = min(request.temperature, 1.0)  # OpenAI allows up to 2
    if request.top_p is not None:
        body["top_p"] = request.top_p
    if stream:
        body["stream"] = True
    if request.user:
        body["metadata"] = {"user_id": request.user}
    if request.tools:
        body["tools"] = [_wire_tool(t) for t in request.tools]
        choice = _wire_choice(request.tool_choice, request.extra)
        if choice is not None:
            body["tool_choice"] = choice
    body.update({k: v for k, v in request.extra.items() if k in _PASS_THROUGH})
    return body


def _block(part: Part, i: int, j: int) -> dict[str, Any] | None:
    if isinstance(part, TextPart):
        return {"type": "text", "text": part.text} if part.text else None
    if isinstance(part, ImagePart):
        return _wire_image(part)
    if isinstance(part, ToolUsePart):
        try:
            arguments = _input(part, ErrorKind.INVALID_REQUEST)
        except GatewayError as exc:
            exc.param = f"messages.{i}.content.{j}"
            raise
        return {"type": "tool_use", "id": part.id, "name": part.name, "input": arguments}
    if isinstance(part, ToolResultPart):
        inner = [b for p in part.content if (b := _block(p, i, j)) is not None]
        block: dict[str, Any] = {"type": "tool_result", "tool_use_id": part.tool_call_id}
        if len(inner) == 1 and inner[0]["type"] == "text":
            block["content"] = inner[0]["text"]
        elif inner:
            block["content"] = inner
        if part.is_error:
            block["is_error"] = True
        return block
    # Thinking without a signature came from another provider; Anthropic would reject it.
    if not part.signature:
        return None
    if not part.text:
        return {"type": "redacted_thinking", "data": part.signature}
    return {"type": "thinking", "thinking": part.text, "signature": part.signature}


def _wire_image(part: ImagePart) -> dict[str, Any]:
    if part.url.startswith("data:"):
        header, _, data = part.url[5:].partition(",")
        media = header.split(";")[0] or "image/png"
        return {"type": "image", "source": {"type": "base64", "media_type": media, "data": data}}
    return {"type": "image", "source": {"type": "url", "url": part.url}}


def _wire_tool(tool: Tool) -> dict[str, Any]:
    schema = (
        tool.parameters if tool.parameters.get("type") else {"type": "object", **tool.parameters}
    )
    out: dict[str, Any] = {"name": tool.name, "input_schema": schema}
    if tool.description:
        out["description"] = tool.description
    return out


def _wire_choice(choice: ToolChoice | None, extra: dict[str, Any]) -> dict[str, Any] | None:
    parallel = extra.get("disable_parallel_tool_use")
    if choice is None and parallel is None:
        return None
    mode = choice.mode if choice is not None else "auto"
    kinds = {"auto": "auto", "required": "any", "tool": "tool", "none": "none"}
    out: dict[str, Any] = {"type": kinds[mode]}
    if mode == "tool" and choice is not None:
        out["name"] = choice.name
    if parallel is not None and mode != "none":
        out["disable_parallel_tool_use"] = bool(parallel)
    return out


# --- upstream response --------------------------------------------------------------------------


def messages_response_from_wire(body: Any) -> ChatResponse:
    """An Anthropic `message` object in canonical form; anything malformed is an upstream fault."""
    if not isinstance(body, dict) or not isinstance(body.get("content"), list):
        raise _bad_upstream("response is not a message object with content")
    content: list[Part] = []
    for block in body["content"]:
        kind = block.get("type") if isinstance(block, dict) else None
        if kind == "text" and isinstance(block.get("text"), str):
            content.append(TextPart(block["text"]))
        elif kind == "thinking" and isinstance(block.get("thinking"), str):
            content.append(ThinkingPart(block["thinking"], block.get("signature") or None))
        elif kind == "redacted_thinking" and isinstance(block.get("data"), str):
            content.append(ThinkingPart("", block["data"]))
        elif kind == "tool_use":
            if not isinstance(block.get("id"), str) or not isinstance(block.get("name"), str):
                raise _bad_upstream("tool_use block without an id and a name")
            arguments = msgspec.json.encode(block.get("input") or {}).decode()
            content.append(ToolUsePart(block["id"], block["name"], arguments))
        elif not isinstance(kind, str):
            raise _bad_upstream("content block without a type")
    return ChatResponse(
        id=body["id"] if isinstance(body.get("id"), str) else "",
        model=body["model"] if isinstance(body.get("model"), str) else "",
        content=content,
        finish_reason=finish_reason(body.get("stop_reason")),
        usage=usage_from_wire(body.get("usage")),
        created=int(time.time()),
    )


def _bad_upstream(what: str) -> GatewayError:
    return GatewayError(ErrorKind.UPSTREAM, f"anthropic: malformed response: {what}", upstream=True)
