"""The adapter for the long tail of providers (Bedrock, Vertex, Gemini, Azure, ...) through
litellm, which speaks the OpenAI shape for all of them.

litellm costs seconds to import, so it is imported on first use only, with its price map read
from the installed package (never fetched) and its telemetry, callbacks and logging silenced.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import AsyncIterator
from dataclasses import replace
from types import ModuleType
from typing import Any

from legion.llm.canonical import (
    ChatRequest,
    ChatResponse,
    EmbeddingRequest,
    EmbeddingResponse,
    StreamEvent,
)
from legion.llm.deployment import Deployment
from legion.llm.errors import ErrorKind, GatewayError, from_upstream_status
from legion.llm.providers.base import Provider
from legion.llm.wire.openai_chat import (
    ChatStreamParser,
    chat_request_to_wire,
    chat_response_from_wire,
)
from legion.llm.wire.openai_embeddings import embedding_response_from_wire

# Dialect extras litellm knows how to map (or drop) per provider; anything else a client dialect
# sent has no meaning for an arbitrary upstream and is not passed on.
FORWARDED_EXTRAS = frozenset(
    {
        "seed",
        "frequency_penalty",
        "presence_penalty",
        "logit_bias",
        "logprobs",
        "top_logprobs",
        "parallel_tool_calls",
        "reasoning_effort",
        "top_k",
        "thinking",
    }
)

_lock = threading.Lock()
_module: ModuleType | None = None


def import_litellm() -> ModuleType:
    """litellm, imported once and quietened: local price map, no telemetry, no callbacks."""
    global _module
    with _lock:
        if _module is None:
            os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
            os.environ.setdefault("LITELLM_LOG", "ERROR")
            import litellm

            litellm.telemetry = False
            litellm.suppress_debug_info = True
            litellm.turn_off_message_logging = True
            litellm.success_callback = []
            litellm.failure_callback = []
            litellm.callbacks = []
            for name in ("LiteLLM", "LiteLLM Router", "LiteLLM Proxy"):
                logging.getLogger(name).setLevel(logging.ERROR)
            _module = litellm
        return _module


def _label(deployment: Deployment) -> str:
    return f"litellm/{deployment.model}"


def _retry_after(exc: BaseException) -> float | None:
    for source in (getattr(exc, "litellm_response_headers", None), _response_headers(exc)):
        if source is None:
            continue
        value = source.get("retry-after")
        if value is None:
            continue
        try:
            return float(value)
        except (TypeError, ValueError):
            return None
    return None


def _response_headers(exc: BaseException) -> Any:
    response = getattr(exc, "response", None)
    return getattr(response, "headers", None)


def map_error(exc: BaseException, label: str) -> GatewayError:
    """A litellm exception as a gateway error: a bad key or model makes the deployment unusable,
    rate limits, overload, timeouts and broken connections are worth another candidate."""
    if isinstance(exc, GatewayError):
        return exc
    import_litellm()
    from litellm import exceptions as litellm

    message = f"{label}: {getattr(exc, 'message', None) or exc}"
    status = getattr(exc, "status_code", None)
    details: dict[str, Any] = {"upstream_status": status} if isinstance(status, int) else {}

    def error(kind: ErrorKind, *, unusable: bool = False) -> GatewayError:
        return GatewayError(
            kind,
            message,
            retry_after=_retry_after(exc),
            upstream=True,
            unusable=unusable,
            details=details,
        )

    # litellm sometimes raises a generic class for a telling status (a 401 as BadRequestError).
    if status in (401, 403, 404) or isinstance(
        exc, litellm.AuthenticationError | litellm.PermissionDeniedError | litellm.NotFoundError
    ):
        return error(ErrorKind.UPSTREAM, unusable=True)
    if status == 429 or isinstance(exc, litellm.RateLimitError):
        return error(ErrorKind.RATE_LIMIT)
    if isinstance(exc, litellm.ContextWindowExceededError):
        return error(ErrorKind.CONTEXT_OVERFLOW)
    if isinstance(exc, litellm.Timeout | TimeoutError):
        return error(ErrorKind.TIMEOUT)
    if isinstance(exc, litellm.MidStreamFallbackError):
        return error(ErrorKind.UPSTREAM)
    if isinstance(exc, litellm.ServiceUnavailableError):
        return error(ErrorKind.OVERLOADED)
    if isinstance(exc, litellm.APIConnectionError | litellm.InternalServerError):
        return error(ErrorKind.UPSTREAM)
    if isinstance(exc, litellm.BadRequestError | litellm.UnprocessableEntityError):
        return error(ErrorKind.INVALID_REQUEST)
    if isinstance(status, int) and status >= 400:
        return from_upstream_status(status, message, retry_after=_retry_after(exc))
    return error(ErrorKind.UPSTREAM)


def _call_args(deployment: Deployment) -> dict[str, Any]:
    """What every call carries: the deployment's litellm params, its endpoint and key.
    litellm's own retries are off: escalation to the next candidate is the gateway's job."""
    args: dict[str, Any] = {"max_retries": 0, **deployment.params}
    args["model"] = deployment.model
    args["timeout"] = deployment.timeout
    if deployment.api_base is not None:
        args["api_base"] = deployment.api_base
    if deployment.api_key is not None:
        args["api_key"] = deployment.api_key
    if deployment.headers:
        args["extra_headers"] = {**args.get("extra_headers", {}), **deployment.headers}
    return args


def chat_args(request: ChatRequest, deployment: Deployment, *, stream: bool) -> dict[str, Any]:
    """Keyword arguments for `litellm.acompletion`: the request in OpenAI shape over the
    deployment's params (the request wins where both set a value)."""
    extra = {k: v for k, v in request.extra.items() if k in FORWARDED_EXTRAS}
    wire = chat_request_to_wire(replace(request, extra=extra), deployment.model, stream=stream)
    wire.pop("model", None)
    wire.pop("metadata", None)
    args = _call_args(deployment)
    args.update(wire)
    args["stream"] = stream
    args["drop_params"] = args.get("drop_params", True)
    if stream:
        args["stream_options"] = {"include_usage": True}
    return args


def _dump(value: Any) -> Any:
    return value.model_dump() if hasattr(value, "model_dump") else value


class LiteLLMProvider(Provider):
    """Chat, streaming chat and embeddings for any model litellm knows (`bedrock/...`,
    `vertex_ai/...`, `azure/...`); `deployment.params` carries the provider's own settings."""

    family = "litellm"

    async def chat(self, request: ChatRequest, deployment: Deployment) -> ChatResponse:
        litellm = import_litellm()
        label = _label(deployment)
        try:
            response = await litellm.acompletion(**chat_args(request, deployment, stream=False))
        except Exception as exc:
            raise map_error(exc, label) from exc
        return chat_response_from_wire(_dump(response))

    async def stream(
        self, request: ChatRequest, deployment: Deployment
    ) -> AsyncIterator[StreamEvent]:
        litellm = import_litellm()
        label = _label(deployment)
        parser = ChatStreamParser()
        try:
            chunks = await litellm.acompletion(**chat_args(request, deployment, stream=True))
            async for chunk in chunks:
                for event in parser.feed(_dump(chunk)):
                    yield event
        except Exception as exc:
            raise map_error(exc, label) from exc
        if not parser.finished:
            raise GatewayError(
                ErrorKind.UPSTREAM, f"{label}: the stream ended before it finished", upstream=True
            )
        yield parser.end()

    async def embed(self, request: EmbeddingRequest, deployment: Deployment) -> EmbeddingResponse:
        litellm = import_litellm()
        label = _label(deployment)
        args = _call_args(deployment)
        args["input"] = list(request.inputs)
        args["encoding_format"] = "float"
        if request.dimensions is not None:
            args["dimensions"] = request.dimensions
        if request.user is not None:
            args["user"] = request.user
        try:
            response = await litellm.aembedding(**args)
        except Exception as exc:
            raise map_error(exc, label) from exc
        result = embedding_response_from_wire(_dump(response), deployment.model)
        if len(result.vectors) != len(request.inputs):
            raise GatewayError(
                ErrorKind.UPSTREAM,
                f"{label}: {len(result.vectors)} vectors for {len(request.inputs)} inputs",
                upstream=True,
            )
        return result
