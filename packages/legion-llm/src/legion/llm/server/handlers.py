"""The dialect endpoints as plain async functions of (gateway, request) → reply. The ASGI fast
path and the litestar routes both call these; there is one implementation of each endpoint."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from legion.llm.canonical import ChatRequest, StreamMeta
from legion.llm.gateway import Gateway, RequestContext
from legion.llm.ids import new_id
from legion.llm.server.context import apply_headers, request_context
from legion.llm.server.exchange import Incoming, Outgoing
from legion.llm.server.streaming import StreamRenderer, first_event, sse_body
from legion.llm.tokens import estimate_request
from legion.llm.wire import (
    anthropic_messages,
    openai_chat,
    openai_completions,
    openai_embeddings,
    openai_responses,
)

Handler = Callable[[Gateway, Incoming], Awaitable[Outgoing]]


def route_headers(ctx: RequestContext) -> list[tuple[str, str]]:
    headers = [("x-request-id", ctx.request_id)]
    route = ctx.route_header
    if route:
        headers.append(("x-legion-route", route))
    return headers


def _meta(prefix: str, chat: ChatRequest) -> StreamMeta:
    return StreamMeta(
        id=f"{prefix}{new_id()[-24:]}",
        model=chat.model,
        created=int(time.time()),
        input_tokens=estimate_request(chat),
    )


def _include_usage(chat: ChatRequest) -> bool:
    """OpenAI's `stream_options.include_usage`: a final chunk with the usage."""
    options = chat.extra.get("stream_options")
    return isinstance(options, dict) and bool(options.get("include_usage"))


async def _stream(
    gateway: Gateway, chat: ChatRequest, ctx: RequestContext, renderer: StreamRenderer
) -> Outgoing:
    events = gateway.stream(chat, ctx)
    first = await first_event(events)
    return Outgoing.sse(sse_body(renderer, first, events), route_headers(ctx))


def _prepare(
    gateway: Gateway, incoming: Incoming, dialect: str, request_type: str, parse: Any
) -> tuple[RequestContext, ChatRequest]:
    ctx = request_context(gateway, incoming.headers, dialect, request_type)
    chat: ChatRequest = parse(incoming.json())
    apply_headers(incoming.headers, chat, ctx)
    return ctx, gateway.curated(chat, ctx)


async def chat_completions(gateway: Gateway, incoming: Incoming) -> Outgoing:
    ctx, chat = _prepare(gateway, incoming, "openai", "chat", openai_chat.parse_chat_request)
    if chat.stream:
        renderer = openai_chat.ChatStreamRenderer(_meta("chatcmpl-", chat), _include_usage(chat))
        return await _stream(gateway, chat, ctx, renderer)
    response = await gateway.chat(chat, ctx)
    body = openai_chat.render_chat_response(response, chat.model)
    return Outgoing.json(body, route_headers(ctx))


async def completions(gateway: Gateway, incoming: Incoming) -> Outgoing:
    ctx, chat = _prepare(
        gateway, incoming, "openai", "completion", openai_completions.parse_completion_request
    )
    if chat.stream:
        renderer = openai_completions.CompletionStreamRenderer(
            _meta("cmpl-", chat), _include_usage(chat)
        )
        return await _stream(gateway, chat, ctx, renderer)
    response = await gateway.chat(chat, ctx)
    body = openai_completions.render_completion_response(response, chat.model)
    return Outgoing.json(body, route_headers(ctx))


async def responses(gateway: Gateway, incoming: Incoming) -> Outgoing:
    ctx, chat = _prepare(
        gateway, incoming, "openai", "responses", openai_responses.parse_responses_request
    )
    meta = _meta("resp_", chat)
    if chat.stream:
        return await _stream(gateway, chat, ctx, openai_responses.ResponsesStreamRenderer(meta))
    response = await gateway.chat(chat, ctx)
    body = openai_responses.render_responses_response(response, meta)
    return Outgoing.json(body, route_headers(ctx))


async def embeddings(gateway: Gateway, incoming: Incoming) -> Outgoing:
    ctx = request_context(gateway, incoming.headers, "openai", "embeddings")
    embedding = openai_embeddings.parse_embedding_request(incoming.json())
    response = await gateway.embed(embedding, ctx)
    encoding = str(embedding.extra.get("encoding_format") or "float")
    body = openai_embeddings.render_embedding_response(response, embedding.model, encoding)
    return Outgoing.json(body, route_headers(ctx))


async def messages(gateway: Gateway, incoming: Incoming) -> Outgoing:
    ctx, chat = _prepare(
        gateway, incoming, "anthropic", "messages", anthropic_messages.parse_messages_request
    )
    if chat.stream:
        meta = _meta("msg_", chat)
        return await _stream(gateway, chat, ctx, anthropic_messages.MessagesStreamRenderer(meta))
    response = await gateway.chat(chat, ctx)
    body = anthropic_messages.render_messages_response(response, chat.model)
    return Outgoing.json(body, route_headers(ctx))


async def count_tokens(gateway: Gateway, incoming: Incoming) -> Outgoing:
    ctx = request_context(gateway, incoming.headers, "anthropic", "count_tokens")
    chat = anthropic_messages.parse_count_tokens_request(incoming.json())
    gateway.require_model(chat.model, ctx.principal)
    body = anthropic_messages.render_count_tokens(estimate_request(chat))
    return Outgoing.json(body, route_headers(ctx))


# POST routes served by the handlers above, by path.
POST: dict[str, Handler] = {
    "/v1/chat/completions": chat_completions,
    "/v1/completions": completions,
    "/v1/responses": responses,
    "/v1/embeddings": embeddings,
    "/v1/messages": messages,
    "/v1/messages/count_tokens": count_tokens,
}
