"""The OpenAI dialect: chat completions, completions, responses, embeddings, models."""

from __future__ import annotations

import time
from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import State
from litestar.response import Stream

from legion.llm.canonical import ChatRequest, StreamMeta
from legion.llm.gateway import Gateway, RequestContext
from legion.llm.ids import new_id
from legion.llm.server.body import read_json
from legion.llm.server.context import apply_headers, request_context
from legion.llm.server.responses import json_response, sse_response
from legion.llm.server.streaming import StreamRenderer, first_event, sse_body
from legion.llm.tokens import estimate_request
from legion.llm.wire import (
    openai_chat,
    openai_completions,
    openai_embeddings,
    openai_responses,
)

AnyRequest = Request[Any, Any, Any]


def _meta(prefix: str, chat: ChatRequest) -> StreamMeta:
    return StreamMeta(
        id=f"{prefix}{new_id()[-24:]}",
        model=chat.model,
        created=int(time.time()),
        input_tokens=estimate_request(chat),
    )


async def _stream(
    gateway: Gateway, chat: ChatRequest, ctx: RequestContext, renderer: StreamRenderer
) -> Stream:
    events = gateway.stream(chat, ctx)
    first = await first_event(events)
    return sse_response(sse_body(renderer, first, events), ctx)


async def _prepare(
    request: AnyRequest, state: State, request_type: str, parse: Any
) -> tuple[Gateway, RequestContext, ChatRequest]:
    gateway: Gateway = state.gateway
    ctx = request_context(gateway, request, "openai", request_type)
    chat: ChatRequest = parse(await read_json(request, gateway.config.server.max_body_bytes))
    apply_headers(request, chat, ctx)
    return gateway, ctx, gateway.curated(chat, ctx)


@post("/v1/chat/completions")
async def chat_completions(request: AnyRequest, state: State) -> Response[bytes] | Stream:
    gateway, ctx, chat = await _prepare(request, state, "chat", openai_chat.parse_chat_request)
    if chat.stream:
        options = chat.extra.get("stream_options")
        include_usage = isinstance(options, dict) and bool(options.get("include_usage"))
        renderer = openai_chat.ChatStreamRenderer(_meta("chatcmpl-", chat), include_usage)
        return await _stream(gateway, chat, ctx, renderer)
    response = await gateway.chat(chat, ctx)
    return json_response(openai_chat.render_chat_response(response, chat.model), ctx)


@post("/v1/completions")
async def completions(request: AnyRequest, state: State) -> Response[bytes] | Stream:
    gateway, ctx, chat = await _prepare(
        request, state, "completion", openai_completions.parse_completion_request
    )
    if chat.stream:
        renderer = openai_completions.CompletionStreamRenderer(_meta("cmpl-", chat), False)
        return await _stream(gateway, chat, ctx, renderer)
    response = await gateway.chat(chat, ctx)
    return json_response(openai_completions.render_completion_response(response, chat.model), ctx)


@post("/v1/responses")
async def responses(request: AnyRequest, state: State) -> Response[bytes] | Stream:
    gateway, ctx, chat = await _prepare(
        request, state, "responses", openai_responses.parse_responses_request
    )
    meta = _meta("resp_", chat)
    if chat.stream:
        return await _stream(gateway, chat, ctx, openai_responses.ResponsesStreamRenderer(meta))
    response = await gateway.chat(chat, ctx)
    return json_response(openai_responses.render_responses_response(response, meta), ctx)


@post("/v1/embeddings")
async def embeddings(request: AnyRequest, state: State) -> Response[bytes]:
    gateway: Gateway = state.gateway
    ctx = request_context(gateway, request, "openai", "embeddings")
    body = await read_json(request, gateway.config.server.max_body_bytes)
    embedding = openai_embeddings.parse_embedding_request(body)
    response = await gateway.embed(embedding, ctx)
    encoding = str(embedding.extra.get("encoding_format") or "float")
    return json_response(
        openai_embeddings.render_embedding_response(response, embedding.model, encoding), ctx
    )


@get("/v1/models")
async def list_models(request: AnyRequest, state: State) -> Response[bytes]:
    gateway: Gateway = state.gateway
    ctx = request_context(gateway, request, "openai", "models")
    return json_response(
        openai_embeddings.render_models(gateway.models(ctx.principal), gateway.started)
    )


@get("/v1/models/{name:path}")
async def get_model(request: AnyRequest, state: State, name: str) -> Response[bytes]:
    gateway: Gateway = state.gateway
    ctx = request_context(gateway, request, "openai", "models")
    model = name.lstrip("/")
    gateway.require_model(model, ctx.principal)
    return json_response(openai_embeddings.render_model(model, gateway.started))


ROUTES = [chat_completions, completions, responses, embeddings, list_models, get_model]
