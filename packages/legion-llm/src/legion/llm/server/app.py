"""The litestar application: the dialects' routes over one Gateway, errors in each dialect's own
format, and nothing on the request path that the gateway does not need (no OpenAPI, no logging
middleware)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar
from litestar.datastructures import State
from litestar.exceptions import HTTPException

from legion.llm.config import GatewayConfig
from legion.llm.errors import GatewayError
from legion.llm.gateway import Gateway
from legion.llm.providers.http import close_sessions
from legion.llm.server import anthropic_routes, openai_routes, ops_routes
from legion.llm.server.errors import on_gateway_error, on_http_error, on_unexpected


def create_app(config: GatewayConfig, gateway: Gateway | None = None) -> Litestar:
    gw = gateway or Gateway(config)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        gw.start()
        try:
            yield
        finally:
            await gw.aclose()
            await close_sessions()

    return Litestar(
        route_handlers=[*openai_routes.ROUTES, *anthropic_routes.ROUTES, *ops_routes.ROUTES],
        state=State({"gateway": gw}),
        lifespan=[lifespan],
        exception_handlers={
            GatewayError: on_gateway_error,
            HTTPException: on_http_error,
            Exception: on_unexpected,
        },
        openapi_config=None,
        logging_config=None,
        request_max_body_size=None,
        debug=False,
    )
