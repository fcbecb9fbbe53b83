"""The mock's OpenAI routes: chat completions, legacy completions, embeddings and the model list,
with the JSON written here by hand so the gateway's own OpenAI wire code is tested, not reused."""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web

from legion.llm.testing.mock_answers import (
    Reply,
    Turn,
    count_words,
    embedding,
    embedding_base64,
    plan_reply,
)
from legion.llm.testing.mock_server import (
    STATE,
    Cut,
    MockState,
    StreamWriter,
    dumps,
    json_response,
    preflight,
)

_ERROR_TYPES: dict[int, tuple[str, str | None]] = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    403: ("permission_error", None),
    404: ("invalid_request_error", "model_not_found"),
    429: ("rate_limit_error", "rate_limit_exceeded"),
    503: ("server_error", "overloaded"),
    529: ("server_error", "overloaded"),
}


def error_body(status: int, message: str) -> dict[str, Any]:
    """OpenAI's error object, with the type OpenAI answers that status with."""
    default = "server_error" if status >= 500 else "invalid_request_error"
    error_type, code = _ERROR_TYPES.get(status, (default, None))
    return {"error": {"message": message, "type": error_type, "param": None, "code": code}}


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            part.get("text", "")
            for part in content
            if isinstance(part, dict) and part.get("type") in ("text", "input_text")
        )
    return ""


def _turns(messages: Any) -> list[Turn]:
    turns: list[Turn] = []
    for message in messages if isinstance(messages, list) else []:
        if not isinstance(message, dict):
            continue
        role = message.get("role", "user")
        text = _text_of(message.get("content"))
        if role in ("tool", "function"):
            turns.append(Turn("user", text, tool_result=True))
        elif role in ("system", "developer"):
            turns.append(Turn("system", text))
        else:
            turns.append(Turn(str(role), text))
    return turns


def _tool_names(body: dict[str, Any]) -> list[str]:
    names = [
        tool["function"]["name"]
        for tool in body.get("tools") or []
        if isinstance(tool, dict) and isinstance(tool.get("function"), dict)
    ]
    names += [f["name"] for f in body.get("functions") or [] if isinstance(f, dict)]
    return names


def _usage(reply: Reply) -> dict[str, int]:
    return {
        "prompt_tokens": reply.input_tokens,
        "completion_tokens": reply.output_tokens,
        "total_tokens": reply.input_tokens + reply.output_tokens,
    }


def _finish(reply: Reply) -> str:
    if reply.tool_name is not None:
        return "tool_calls"
    return "length" if reply.truncated else "stop"


def _include_usage(body: dict[str, Any]) -> bool:
    options = body.get("stream_options")
    return isinstance(options, dict) and bool(options.get("include_usage"))


def _reply(state: MockState, body: dict[str, Any], turns: list[Turn]) -> Reply:
    max_tokens = body.get("max_completion_tokens") or body.get("max_tokens")
    return plan_reply(
        turns,
        tools=_tool_names(body),
        words=state.words,
        chunks=state.chunks,
        max_tokens=max_tokens if isinstance(max_tokens, int) else None,
    )


async def chat_completions(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE]
    checked = await preflight(request, state, error_body)
    if isinstance(checked, web.StreamResponse):
        return checked
    body, plan = checked
    reply = _reply(state, body, _turns(body.get("messages")))
    completion_id = f"chatcmpl-mock-{state.next_id()}"
    model = str(body.get("model", state.models[0]))
    created = int(time.time())
    call_id = f"call_mock_{state.next_id()}"
    if not body.get("stream"):
        message: dict[str, Any] = {"role": "assistant", "content": reply.text, "refusal": None}
        if reply.tool_name is not None:
            message["content"] = None
            message["tool_calls"] = [
                {
                    "id": call_id,
                    "type": "function",
                    "function": {"name": reply.tool_name, "arguments": reply.arguments},
                }
            ]
        return json_response(
            200,
            {
                "id": completion_id,
                "object": "chat.completion",
                "created": created,
                "model": model,
                "choices": [
                    {
                        "index": 0,
                        "message": message,
                        "logprobs": None,
                        "finish_reason": _finish(reply),
                    }
                ],
                "usage": _usage(reply),
                "system_fingerprint": None,
            },
        )

    include_usage = _include_usage(body)

    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        data: dict[str, Any] = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        }
        if include_usage:
            data["usage"] = None
        return b"data: " + dumps(data) + b"\n\n"

    writer = StreamWriter(request, state, plan)
    try:
        await writer.open()
        if reply.tool_name is not None:
            for i, fragment in enumerate(reply.fragments):
                call: dict[str, Any] = {"index": 0, "function": {"arguments": fragment}}
                delta: dict[str, Any] = {"tool_calls": [call]}
                if i == 0:
                    call.update(id=call_id, type="function")
                    call["function"]["name"] = reply.tool_name
                    delta = {"role": "assistant", "content": None, **delta}
                await writer.content(chunk(delta), None)
        else:
            for i, piece in enumerate(reply.pieces):
                delta = {"role": "assistant", "content": piece} if i == 0 else {"content": piece}
                await writer.content(chunk(delta), None)
            if not reply.pieces:
                await writer.frame(chunk({"role": "assistant", "content": ""}))
        await writer.frame(chunk({}, _finish(reply)))
        if include_usage:
            usage_chunk = {
                "id": completion_id,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "choices": [],
                "usage": _usage(reply),
            }
            await writer.frame(b"data: " + dumps(usage_chunk) + b"\n\n")
        await writer.frame(b"data: [DONE]\n\n")
    except Cut:
        pass
    return writer.response


async def completions(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE]
    checked = await preflight(request, state, error_body)
    if isinstance(checked, web.StreamResponse):
        return checked
    body, plan = checked
    prompt = body.get("prompt", "")
    if isinstance(prompt, list):
        prompt = prompt[0] if prompt and isinstance(prompt[0], str) else ""
    reply = _reply(state, body, [Turn("user", str(prompt))])
    completion_id = f"cmpl-mock-{state.next_id()}"
    model = str(body.get("model", state.models[0]))
    created = int(time.time())

    def completion(text: str, finish: str | None) -> dict[str, Any]:
        return {
            "id": completion_id,
            "object": "text_completion",
            "created": created,
            "model": model,
            "choices": [{"text": text, "index": 0, "logprobs": None, "finish_reason": finish}],
        }

    if not body.get("stream"):
        data = completion(reply.text, _finish(reply))
        data["usage"] = _usage(reply)
        return json_response(200, data)
    writer = StreamWriter(request, state, plan)
    try:
        await writer.open()
        for piece in reply.pieces:
            await writer.content(b"data: " + dumps(completion(piece, None)) + b"\n\n", None)
        await writer.frame(b"data: " + dumps(completion("", _finish(reply))) + b"\n\n")
        if _include_usage(body):
            usage_chunk = completion("", None)
            usage_chunk["choices"] = []
            usage_chunk["usage"] = _usage(reply)
            await writer.frame(b"data: " + dumps(usage_chunk) + b"\n\n")
        await writer.frame(b"data: [DONE]\n\n")
    except Cut:
        pass
    return writer.response


def _inputs(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        if value and all(isinstance(v, int) for v in value):
            return [" ".join(map(str, value))]
        return [v if isinstance(v, str) else " ".join(map(str, v)) for v in value]
    return []


async def embeddings(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE]
    checked = await preflight(request, state, error_body)
    if isinstance(checked, web.StreamResponse):
        return checked
    body, _plan = checked
    texts = _inputs(body.get("input"))
    if not texts:
        return json_response(400, error_body(400, "input must not be empty"))
    dims = body.get("dimensions")
    size = dims if isinstance(dims, int) and dims > 0 else state.embedding_dims
    as_base64 = body.get("encoding_format") == "base64"
    data = []
    for index, text in enumerate(texts):
        vector = embedding(text, size)
        data.append(
            {
                "object": "embedding",
                "index": index,
                "embedding": embedding_base64(vector) if as_base64 else vector,
            }
        )
    tokens = sum(max(1, count_words(t)) for t in texts)
    return json_response(
        200,
        {
            "object": "list",
            "data": data,
            "model": str(body.get("model", state.models[0])),
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        },
    )


async def models(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE]
    checked = await preflight(request, state, error_body)
    if isinstance(checked, web.StreamResponse):
        return checked
    return json_response(
        200,
        {
            "object": "list",
            "data": [
                {"id": name, "object": "model", "created": 0, "owned_by": "legion-mock"}
                for name in state.models
            ],
        },
    )


def add_routes(app: web.Application) -> None:
    app.router.add_post("/v1/chat/completions", chat_completions)
    app.router.add_post("/v1/completions", completions)
    app.router.add_post("/v1/embeddings", embeddings)
    app.router.add_get("/v1/models", models)
