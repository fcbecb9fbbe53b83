"""Builds the litestar application over a node's catalog (settings + capability registry)."""

from __future__ import annotations

import time
from typing import Any

from litestar import Litestar, Request, Response, get
from litestar.datastructures import State
from litestar.exceptions import HTTPException
from litestar.params import FromPath

from legion.app._version import __version__
from legion.app.api.envelope import failure, ok
from legion.core.catalog import Catalog
from legion.core.errors import LegionError, NotFoundError

STATUS_OF_CODE = {"not_found": 404, "validation_failed": 422, "bad_request": 400}


@get(["/api/health", "/api/v1/health"])
async def health(state: State) -> dict[str, Any]:
    """Liveness: answers while the process serves requests."""
    return ok(
        {
            "status": "ok",
            "version": __version__,
            "mode": state.catalog.settings.mode,
            "uptime_seconds": round(time.monotonic() - state.started, 3),
        }
    )


@get(["/api/ready", "/api/v1/ready"])
async def ready(state: State) -> Response[dict[str, Any]]:
    """Readiness: served only after extensions are loaded; lists the ones that failed."""
    catalog: Catalog = state.catalog
    failed = [r.name for r in catalog.records if r.status == "failed"]
    body = ok({"ready": True, "extensions_failed": failed})
    return Response(body, status_code=200)


@get("/api/v1/extensions")
async def list_extensions(state: State) -> dict[str, Any]:
    """Installed extensions and their status, as `legion lex list` shows them."""
    catalog: Catalog = state.catalog
    rows = []
    for record in catalog.records:
        data = record.to_dict()
        data["functions"] = [c.address for c in catalog.registry.of_extension(record.name)]
        rows.append(data)
    return ok(rows, total=len(rows))


@get("/api/v1/extensions/{name:str}")
async def get_extension(state: State, name: FromPath[str]) -> dict[str, Any]:
    """One extension with its functions' schemas, from the capability registry."""
    catalog: Catalog = state.catalog
    data = catalog.record(name).to_dict()
    data["functions"] = [c.describe() for c in catalog.registry.of_extension(name)]
    return ok(data)


def legion_error(_: Request[Any, Any, Any], exc: LegionError) -> Response[dict[str, Any]]:
    status = 404 if isinstance(exc, NotFoundError) else STATUS_OF_CODE.get(exc.code, 500)
    return Response(failure(exc.code, exc.message, exc.details), status_code=status)


def http_error(_: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    return Response(failure(code, exc.detail), status_code=exc.status_code)


def internal_error(_: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    from legion.core.logging import logger

    logger.opt(exception=exc).error("unhandled error in a request")
    return Response(failure("internal", "internal server error"), status_code=500)


def create_app(
    catalog: Catalog, *, operations: Any = None, control_token: str | None = None
) -> Litestar:
    """The REST API; with `operations` and a token it also serves the CLI's control route."""
    handlers: list[Any] = [health, ready, list_extensions, get_extension]
    if operations is not None:
        from legion.app.api.control import rpc

        handlers.append(rpc)
    return Litestar(
        route_handlers=handlers,
        state=State(
            {
                "catalog": catalog,
                "started": time.monotonic(),
                "operations": operations,
                "control_token": control_token,
            }
        ),
        exception_handlers={
            LegionError: legion_error,
            HTTPException: http_error,
            Exception: internal_error,
        },
        openapi_config=None,
    )
