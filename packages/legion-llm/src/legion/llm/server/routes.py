"""What litestar serves of the dialects: the OpenAI model list. The POST endpoints are served by
the ASGI fast path in front of litestar (fast_path.py)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.datastructures import State
from litestar.response import Stream

from legion.llm.gateway import Gateway
from legion.llm.server.context import request_context
from legion.llm.server.responses import json_response
from legion.llm.wire import openai_embeddings

AnyRequest = Request[Any, Any, Any]


@get("/v1/models")
async def list_models(request: AnyRequest, state: State) -> Response[Any] | Stream:
    gateway: Gateway = state.gateway
    ctx = request_context(gateway, request.headers, "openai", "models")
    return json_response(
        openai_embeddings.render_models(gateway.models(ctx.principal), gateway.started)
    )


@get("/v1/models/{name:path}")
async def get_model(request: AnyRequest, state: State, name: str) -> Response[Any] | Stream:
    gateway: Gateway = state.gateway
    ctx = request_context(gateway, request.headers, "openai", "models")
    model = name.lstrip("/")
    gateway.require_model(model, ctx.principal)
    return json_response(openai_embeddings.render_model(model, gateway.started))


ROUTES = [list_models, get_model]
