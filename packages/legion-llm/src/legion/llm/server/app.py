"""The gateway application: litestar for everything but the hot dialect endpoints, which the ASGI
fast path in front of it serves through the same handlers; errors in each dialect's format, and
nothing on the request path the gateway does not need (no OpenAPI, no logging middleware)."""

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
from legion.llm.server import ops_routes, routes
from legion.llm.server.errors import on_gateway_error, on_http_error, on_unexpected
from legion.llm.server.fast_path import GatewayApp


def create_litestar(gateway: Gateway) -> Litestar:
    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        gateway.start()
        try:
            yield
        finally:
            await gateway.aclose()
            await close_sessions()

    return Litestar(
        route_handlers=[*routes.ROUTES, *ops_routes.ROUTES],
        state=State({"gateway": gateway}),
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


def create_app(config: GatewayConfig, gateway: Gateway | None = None) -> GatewayApp:
    gw = gateway or Gateway(config)
    return GatewayApp(gw, create_litestar(gw))
