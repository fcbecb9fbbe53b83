"""Operations: liveness, provider health and circuit states, Prometheus metrics."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.datastructures import State
from litestar.response import Stream

from legion.llm._version import __version__
from legion.llm.gateway import Gateway
from legion.llm.server.context import request_context
from legion.llm.server.responses import json_response


@get("/health")
async def health(state: State) -> Response[Any] | Stream:
    gateway: Gateway = state.gateway
    return json_response(
        {"status": "ok", "version": __version__, "models": len(gateway.config.public_models())}
    )


@get("/health/providers")
async def provider_health(request: Request[Any, Any, Any], state: State) -> Response[Any] | Stream:
    """Circuit state per provider instance; needs a key like any other route."""
    gateway: Gateway = state.gateway
    request_context(gateway, request.headers, "openai", "health")
    return json_response(gateway.health_snapshot())


@get("/metrics")
async def metrics(state: State) -> Response[Any] | Stream:
    gateway: Gateway = state.gateway
    body, content_type = gateway.accounting.render_metrics()
    return Response(body, media_type=content_type)


ROUTES = [health, provider_health, metrics]
