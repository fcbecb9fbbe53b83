"""The mock's Anthropic routes: messages (typed SSE events when streaming) and count_tokens, with
the JSON written here by hand so the gateway's own Anthropic wire code is tested, not reused."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from legion.llm.testing.mock_answers import Reply, Turn, plan_reply
from legion.llm.testing.mock_server import (
    STATE,
    Cut,
    MockState,
    StreamWriter,
    dumps,
    json_response,
    preflight,
)

_ERROR_TYPES: dict[int, str] = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    503: "overloaded_error",
    529: "overloaded_error",
}


def error_body(status: int, message: str) -> dict[str, Any]:
    """Anthropic's error envelope, with the type Anthropic answers that status with."""
    default = "api_error" if status >= 500 else "invalid_request_error"
    return {
        "type": "error",
        "error": {"type": _ERROR_TYPES.get(status, default), "message": message},
    }


def _block_text(block: Any) -> str:
    if isinstance(block, str):
        return block
    if not isinstance(block, dict):
        return ""
    if block.get("type") == "text":
        return str(block.get("text", ""))
    if block.get("type") == "tool_result":
        content = block.get("content")
        if isinstance(content, list):
            return "".join(_block_text(b) for b in content)
        return content if isinstance(content, str) else ""
    return ""


def _turns(body: dict[str, Any]) -> list[Turn]:
    turns: list[Turn] = []
    system = body.get("system")
    if system:
        text = system if isinstance(system, str) else "".join(_block_text(b) for b in system)
        turns.append(Turn("system", text))
    for message in body.get("messages") or []:
        if not isinstance(message, dict):
            continue
        content = message.get("content")
        blocks = content if isinstance(content, list) else [content]
        tool_result = any(isinstance(b, dict) and b.get("type") == "tool_result" for b in blocks)
        text = "".join(_block_text(b) for b in blocks)
        turns.append(Turn(str(message.get("role", "user")), text, tool_result=tool_result))
    return turns


def _reply(state: MockState, body: dict[str, Any]) -> Reply:
    tools = [t["name"] for t in body.get("tools") or [] if isinstance(t, dict) and "name" in t]
    max_tokens = body.get("max_tokens")
    return plan_reply(
        _turns(body),
        tools=tools,
        words=state.words,
        chunks=state.chunks,
        max_tokens=max_tokens if isinstance(max_tokens, int) else None,
    )


def _stop_reason(reply: Reply) -> str:
    if reply.tool_name is not None:
        return "tool_use"
    return "max_tokens" if reply.truncated else "end_turn"


_MALFORMED = b"event: content_block_delta\ndata: {this is not json\n\n"


def _event(name: str, data: dict[str, Any]) -> bytes:
    return b"event: " + name.encode() + b"\ndata: " + dumps(data) + b"\n\n"


async def messages(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE]
    checked = await preflight(request, state, error_body)
    if isinstance(checked, web.StreamResponse):
        return checked
    body, plan = checked
    reply = _reply(state, body)
    message_id = f"msg_mock_{state.next_id()}"
    tool_id = f"toolu_mock_{state.next_id()}"
    model = str(body.get("model", state.models[0]))
    if not body.get("stream"):
        content: list[dict[str, Any]] = []
        if reply.tool_name is not None:
            content.append(
                {
                    "type": "tool_use",
                    "id": tool_id,
                    "name": reply.tool_name,
                    "input": json.loads(reply.arguments),
                }
            )
        elif reply.text:
            content.append({"type": "text", "text": reply.text})
        return json_response(
            200,
            {
                "id": message_id,
                "type": "message",
                "role": "assistant",
                "model": model,
                "content": content,
                "stop_reason": _stop_reason(reply),
                "stop_sequence": None,
                "usage": {
                    "input_tokens": reply.input_tokens,
                    "output_tokens": reply.output_tokens,
                },
            },
        )

    writer = StreamWriter(request, state, plan, malformed=_MALFORMED)
    if reply.tool_name is not None:
        block: dict[str, Any] = {"type": "tool_use", "id": tool_id, "name": reply.tool_name}
        block["input"] = {}
    else:
        block = {"type": "text", "text": ""}

    async def preamble() -> None:
        start = {
            "type": "message_start",
            "message": {
                "id": message_id,
                "type": "message",
                "role": "assistant",
                "model": model,
                "content": [],
                "stop_reason": None,
                "stop_sequence": None,
                "usage": {"input_tokens": reply.input_tokens, "output_tokens": 1},
            },
        }
        await writer.frame(_event("message_start", start))
        await writer.frame(
            _event(
                "content_block_start",
                {"type": "content_block_start", "index": 0, "content_block": block},
            )
        )
        await writer.frame(_event("ping", {"type": "ping"}))

    def delta(value: dict[str, Any]) -> bytes:
        return _event(
            "content_block_delta", {"type": "content_block_delta", "index": 0, "delta": value}
        )

    try:
        await writer.open()
        if reply.tool_name is not None:
            for fragment in reply.fragments:
                await writer.content(
                    delta({"type": "input_json_delta", "partial_json": fragment}), preamble
                )
        else:
            for piece in reply.pieces:
                await writer.content(delta({"type": "text_delta", "text": piece}), preamble)
            if not reply.pieces:
                await preamble()
        await writer.frame(_event("content_block_stop", {"type": "content_block_stop", "index": 0}))
        await writer.frame(
            _event(
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": _stop_reason(reply), "stop_sequence": None},
                    "usage": {"output_tokens": reply.output_tokens},
                },
            )
        )
        await writer.frame(_event("message_stop", {"type": "message_stop"}))
    except Cut:
        pass
    return writer.response


async def count_tokens(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE]
    checked = await preflight(request, state, error_body)
    if isinstance(checked, web.StreamResponse):
        return checked
    body, _plan = checked
    return json_response(200, {"input_tokens": _reply(state, body).input_tokens})


def add_routes(app: web.Application) -> None:
    app.router.add_post("/v1/messages", messages)
    app.router.add_post("/v1/messages/count_tokens", count_tokens)
