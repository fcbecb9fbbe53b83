"""OpenAPI 3.1 at `/api/openapi.json` and litestar's Swagger UI at `/api/docs`, both public.

litestar's own schema router sits at `/api/schema` (it needs one); ours answers at the paths
the API documents, from the same generated schema."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response, Router, get
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, SwaggerRenderPlugin

from legion.app._version import __version__
from legion.app.api.envelope import failure

PUBLIC = {"public": True}
SWAGGER = SwaggerRenderPlugin(path="/swagger")


def enveloped_not_found(response: Response[Any]) -> Response[Any]:
    """litestar's schema router answers unknown paths with an HTML 404; ours is the envelope."""
    if response.status_code == 404:
        body = failure("not_found", "Not Found")
        return Response(body, status_code=404, media_type="application/json")
    return response


def openapi_config() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="Legion API",
        version=__version__,
        description="Legion's REST API: tasks, relationships, chains, schedules, extensions.",
        openapi_router=Router(
            "/api/schema",
            route_handlers=[],
            include_in_schema=False,
            opt=PUBLIC,
            after_request=enveloped_not_found,
        ),
        render_plugins=[JsonRenderPlugin(path="/openapi.json"), SWAGGER],
    )


def exact_components(document: dict[str, Any]) -> dict[str, Any]:
    """Replace the schemas of the request bodies and envelopes with msgspec's own JSON Schema
    of the same structs: that is what the server enforces. litestar's version drops bounds of 0
    on optional fields (`every: > 0`) and does not say that unknown fields are refused."""
    from legion.app.api.dto import BODIES, SCHEMA_EXTRA
    from legion.app.api.responses import DOCUMENTED

    _, exact = msgspec.json.schema_components(
        [*BODIES, *DOCUMENTED], ref_template="#/components/schemas/{name}"
    )
    for name, extra in SCHEMA_EXTRA.items():
        exact[name] = {**exact[name], **extra}
    document.setdefault("components", {}).setdefault("schemas", {}).update(exact)
    return document


def schema_of(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """The document, built once per app."""
    state = request.app.state
    document: dict[str, Any] | None = state.get("openapi_document")
    if document is None:
        document = exact_components(request.app.openapi_schema.to_schema())
        state["openapi_document"] = document
    return document


@get("/api/openapi.json", opt=PUBLIC, include_in_schema=False, sync_to_thread=False)
def openapi_json(request: Request[Any, Any, Any]) -> Response[bytes]:
    """The OpenAPI 3.1 document of `/api/v1`."""
    body = JsonRenderPlugin.render_json(request, schema_of(request))
    return Response(body, media_type="application/vnd.oai.openapi+json")


@get("/api/docs", opt=PUBLIC, include_in_schema=False, sync_to_thread=False)
def docs_page(request: Request[Any, Any, Any]) -> Response[bytes]:
    """The interactive docs page (Swagger UI, its scripts load in the browser)."""
    return Response(SWAGGER.render(request, schema_of(request)), media_type="text/html")


HANDLERS = [openapi_json, docs_page]
