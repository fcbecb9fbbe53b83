"""The adapter for OpenAI and every server that speaks its API (vLLM, llama.cpp server, Ollama's
`/v1`, LM Studio): canonical requests as `/chat/completions` and `/embeddings` calls.

A stream that breaks off, or ends without `[DONE]` or a finish reason, raises after the events
already received, so the gateway can continue the answer on another candidate.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import msgspec

from legion.llm import sse
from legion.llm.canonical import (
    ChatRequest,
    ChatResponse,
    EmbeddingRequest,
    EmbeddingResponse,
    StreamEnd,
    StreamEvent,
    TextDelta,
    TextPart,
    ThinkingDelta,
    ThinkingPart,
    ToolCallDelta,
    ToolCallStart,
    ToolUsePart,
)
from legion.llm.deployment import Deployment
from legion.llm.errors import ErrorKind, GatewayError
from legion.llm.providers import http
from legion.llm.providers.base import Provider
from legion.llm.wire.openai_chat import (
    ChatStreamParser,
    chat_request_to_wire,
    chat_response_from_wire,
)
from legion.llm.wire.openai_embeddings import (
    embedding_request_to_wire,
    embedding_response_from_wire,
)

DEFAULT_API_BASE = "https://api.openai.com/v1"
# Hosts that take `max_completion_tokens` for every model and refuse `max_tokens` for reasoning
# models; other OpenAI-compatible servers are sent the older, universally known `max_tokens`.
_OPENAI_HOSTS = frozenset({"api.openai.com"})

_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder().decode


def _base(deployment: Deployment) -> str:
    return (deployment.api_base or DEFAULT_API_BASE).rstrip("/")


def _label(deployment: Deployment) -> str:
    return f"{deployment.provider}/{deployment.model}"


def _headers(deployment: Deployment, *, stream: bool = False) -> dict[str, str]:
    headers = {"Content-Type": "application/json"}
    if stream:
        headers["Accept"] = "text/event-stream"
    if deployment.api_key:
        headers["Authorization"] = f"Bearer {deployment.api_key}"
    headers.update(deployment.headers)
    return headers


def _chat_body(request: ChatRequest, deployment: Deployment, *, stream: bool) -> bytes:
    body = chat_request_to_wire(request, deployment.model, stream=stream)
    if urlsplit(_base(deployment)).hostname in _OPENAI_HOSTS and "max_tokens" in body:
        body["max_completion_tokens"] = body.pop("max_tokens")
    return _encode(body)


def _decode_json(raw: bytes | str, label: str) -> Any:
    try:
        return _decode(raw)
    except msgspec.DecodeError as exc:
        snippet = raw[:200] if isinstance(raw, str) else raw[:200].decode(errors="replace")
        raise GatewayError(
            ErrorKind.UPSTREAM, f"{label}: malformed JSON from upstream: {snippet!r}", upstream=True
        ) from exc


def _replay(response: ChatResponse) -> list[StreamEvent]:
    """Stream events for a complete answer, for servers that ignore `stream: true`."""
    events: list[StreamEvent] = []
    calls = 0
    for part in response.content:
        if isinstance(part, ThinkingPart):
            events.append(ThinkingDelta(part.text))
        elif isinstance(part, ToolUsePart):
            events.append(ToolCallStart(calls, part.id, part.name))
            if part.arguments:
                events.append(ToolCallDelta(calls, part.arguments))
            calls += 1
        elif isinstance(part, TextPart):
            events.append(TextDelta(part.text))
    return events


class OpenAICompatProvider(Provider):
    """Chat, streaming chat and embeddings against any OpenAI-compatible `api_base`."""

    family = "openai"

    async def _post_json(
        self, deployment: Deployment, path: str, payload: bytes, label: str
    ) -> Any:
        try:
            async with http.post(
                _base(deployment) + path,
                data=payload,
                headers=_headers(deployment),
                timeout=http.timeout(deployment.timeout),
            ) as resp:
                if resp.status >= 400:
                    raise await http.status_error(resp, label)
                raw = await resp.read()
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise http.transport_error(exc, label) from exc
        return _decode_json(raw, label)

    async def chat(self, request: ChatRequest, deployment: Deployment) -> ChatResponse:
        label = _label(deployment)
        payload = _chat_body(request, deployment, stream=False)
        body = await self._post_json(deployment, "/chat/completions", payload, label)
        return chat_response_from_wire(body)

    async def stream(
        self, request: ChatRequest, deployment: Deployment
    ) -> AsyncIterator[StreamEvent]:
        label = _label(deployment)
        payload = _chat_body(request, deployment, stream=True)
        parser = ChatStreamParser()
        done = False
        try:
            async with http.post(
                _base(deployment) + "/chat/completions",
                data=payload,
                headers=_headers(deployment, stream=True),
                timeout=http.timeout(deployment.timeout, deployment.stream_timeout),
            ) as resp:
                if resp.status >= 400:
                    raise await http.status_error(resp, label)
                if resp.content_type == "application/json":
                    whole = chat_response_from_wire(_decode_json(await resp.read(), label))
                    for event in _replay(whole):
                        yield event
                    yield StreamEnd(whole.finish_reason, whole.usage)
                    return
                async for message in sse.parse(resp.content.iter_any()):
                    data = message.data.strip()
                    if data == "[DONE]":
                        done = True
                        break
                    if not data:
                        continue
                    for event in parser.feed(_decode_json(data, label)):
                        yield event
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise http.transport_error(exc, label) from exc
        except UnicodeDecodeError as exc:
            raise GatewayError(
                ErrorKind.UPSTREAM, f"{label}: stream is not UTF-8 text", upstream=True
            ) from exc
        if not done and not parser.finished:
            raise GatewayError(
                ErrorKind.UPSTREAM, f"{label}: the stream ended before it finished", upstream=True
            )
        yield parser.end()

    async def embed(self, request: EmbeddingRequest, deployment: Deployment) -> EmbeddingResponse:
        label = _label(deployment)
        payload = _encode(embedding_request_to_wire(request, deployment.model))
        body = await self._post_json(deployment, "/embeddings", payload, label)
        response = embedding_response_from_wire(body, deployment.model)
        if len(response.vectors) != len(request.inputs):
            raise GatewayError(
                ErrorKind.UPSTREAM,
                f"{label}: {len(response.vectors)} vectors for {len(request.inputs)} inputs",
                upstream=True,
            )
        return response
