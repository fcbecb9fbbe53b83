"""The Anthropic dialect: messages (streaming with typed events) and count_tokens."""

from __future__ import annotations

import time
from typing import Any

from litestar import Request, Response, post
from litestar.datastructures import State
from litestar.response import Stream

from legion.llm.canonical import StreamMeta
from legion.llm.gateway import Gateway
from legion.llm.ids import new_id
from legion.llm.server.body import read_json
from legion.llm.server.context import apply_headers, request_context
from legion.llm.server.responses import json_response, sse_response
from legion.llm.server.streaming import first_event, sse_body
from legion.llm.tokens import estimate_request
from legion.llm.wire import anthropic_messages

AnyRequest = Request[Any, Any, Any]


@post("/v1/messages")
async def messages(request: AnyRequest, state: State) -> Response[bytes] | Stream:
    gateway: Gateway = state.gateway
    ctx = request_context(gateway, request, "anthropic", "messages")
    body = await read_json(request, gateway.config.server.max_body_bytes)
    chat = anthropic_messages.parse_messages_request(body)
    apply_headers(request, chat, ctx)
    chat = gateway.curated(chat, ctx)
    if chat.stream:
        meta = StreamMeta(
            id=f"msg_{new_id()}",
            model=chat.model,
            created=int(time.time()),
            input_tokens=estimate_request(chat),
        )
        events = gateway.stream(chat, ctx)
        first = await first_event(events)
        renderer = anthropic_messages.MessagesStreamRenderer(meta)
        return sse_response(sse_body(renderer, first, events), ctx)
    response = await gateway.chat(chat, ctx)
    return json_response(anthropic_messages.render_messages_response(response, chat.model), ctx)


@post("/v1/messages/count_tokens")
async def count_tokens(request: AnyRequest, state: State) -> Response[bytes]:
    gateway: Gateway = state.gateway
    ctx = request_context(gateway, request, "anthropic", "count_tokens")
    body = await read_json(request, gateway.config.server.max_body_bytes)
    chat = anthropic_messages.parse_count_tokens_request(body)
    gateway.require_model(chat.model, ctx.principal)
    return json_response(anthropic_messages.render_count_tokens(estimate_request(chat)), ctx)


ROUTES = [messages, count_tokens]
