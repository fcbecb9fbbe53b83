"""The Anthropic Messages API as an upstream: canonical requests to `POST /v1/messages` and back,
streaming included, over the shared aiohttp session."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import msgspec

from legion.llm import sse
from legion.llm.canonical import (
    ChatRequest,
    ChatResponse,
    EmbeddingRequest,
    EmbeddingResponse,
    StreamEvent,
)
from legion.llm.deployment import Deployment
from legion.llm.errors import ErrorKind, GatewayError
from legion.llm.providers import http
from legion.llm.providers.base import Provider
from legion.llm.wire.anthropic_messages import (
    MessagesStreamParser,
    messages_request_to_wire,
    messages_response_from_wire,
)

DEFAULT_BASE = "https://api.anthropic.com"
API_VERSION = "2023-06-01"
DEFAULT_MAX_TOKENS = 4096
LABEL = "anthropic"


def messages_url(deployment: Deployment) -> str:
    """`{base}/v1/messages`, tolerating an api_base configured with its `/v1` already."""
    base = (deployment.api_base or DEFAULT_BASE).rstrip("/")
    return f"{base}/messages" if base.endswith("/v1") else f"{base}/v1/messages"


def request_headers(deployment: Deployment, *, stream: bool) -> dict[str, str]:
    headers = {
        "anthropic-version": API_VERSION,
        "content-type": "application/json",
        "accept": "text/event-stream" if stream else "application/json",
    }
    if deployment.api_key:
        headers["x-api-key"] = deployment.api_key
    headers.update(deployment.headers)
    return headers


def _malformed(what: str) -> GatewayError:
    return GatewayError(ErrorKind.UPSTREAM, f"{LABEL}: malformed {what}", upstream=True)


def _decode(raw: bytes | str, what: str) -> Any:
    try:
        return msgspec.json.decode(raw)
    except msgspec.DecodeError as exc:
        raise _malformed(f"{what}: {exc}") from exc


class AnthropicProvider(Provider):
    """Anthropic's own API (or anything serving the Messages API, such as a proxy)."""

    family = "anthropic"

    def _body(self, request: ChatRequest, deployment: Deployment, *, stream: bool) -> bytes:
        body = messages_request_to_wire(
            request,
            deployment.model,
            stream=stream,
            default_max_tokens=deployment.max_output_tokens or DEFAULT_MAX_TOKENS,
        )
        return msgspec.json.encode(body)

    async def chat(self, request: ChatRequest, deployment: Deployment) -> ChatResponse:
        data = self._body(request, deployment, stream=False)
        try:
            async with http.post(
                messages_url(deployment),
                data=data,
                headers=request_headers(deployment, stream=False),
                timeout=http.timeout(deployment.timeout),
            ) as resp:
                if resp.status >= 400:
                    raise await http.status_error(resp, LABEL)
                raw = await resp.read()
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise http.transport_error(exc, LABEL) from exc
        return messages_response_from_wire(_decode(raw, "response body"))

    async def stream(
        self, request: ChatRequest, deployment: Deployment
    ) -> AsyncIterator[StreamEvent]:
        """Events as they arrive; a stream that breaks off (or never reaches message_stop) raises
        UPSTREAM after what did arrive, so the gateway can continue it elsewhere."""
        data = self._body(request, deployment, stream=True)
        parser = MessagesStreamParser()
        try:
            async with http.post(
                messages_url(deployment),
                data=data,
                headers=request_headers(deployment, stream=True),
                timeout=http.timeout(deployment.timeout, deployment.stream_timeout),
            ) as resp:
                if resp.status >= 400:
                    raise await http.status_error(resp, LABEL)
                async for message in sse.parse(resp.content.iter_any()):
                    payload = _decode(message.data, "stream event")
                    if not isinstance(payload, dict):
                        raise _malformed("stream event: not a JSON object")
                    for event in parser.feed(message.event, payload):
                        yield event
                    if parser.done:
                        break
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise http.transport_error(exc, LABEL) from exc
        except UnicodeDecodeError as exc:
            raise _malformed(f"stream: {exc}") from exc
        yield parser.end()

    async def embed(self, request: EmbeddingRequest, deployment: Deployment) -> EmbeddingResponse:
        raise GatewayError(
            ErrorKind.UNSUPPORTED,
            "anthropic has no embeddings endpoint; route embeddings to another model",
        )
