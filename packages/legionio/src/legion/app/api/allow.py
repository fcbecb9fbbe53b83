"""OPTIONS answers naming every method of a path.

litestar's automatic OPTIONS handler lists only the methods of the first handler registered on
a path (`Allow: GET, OPTIONS` where POST is served too), because it keeps the route object of
that first registration. This hook answers OPTIONS from the route the request matched."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response
from litestar.enums import MediaType
from litestar.routes import HTTPRoute


def methods_by_path(app: Any) -> dict[str, str]:
    """`{path template: "DELETE, GET, OPTIONS"}` of every HTTP route, built once per app."""
    found: dict[str, str] | None = app.state.get("allow_by_path")
    if found is None:
        found = {
            route.path_format: ", ".join(sorted(route.methods))
            for route in app.routes
            if isinstance(route, HTTPRoute)
        }
        app.state["allow_by_path"] = found
    return found


async def answer_options(request: Request[Any, Any, Any]) -> Response[None] | None:
    """An app-level `before_request`: OPTIONS is answered here, every other method goes on."""
    if request.method != "OPTIONS":
        return None
    allow = methods_by_path(request.app).get(request.scope.get("path_template", ""))
    if allow is None:
        return None
    return Response(None, status_code=204, headers={"Allow": allow}, media_type=MediaType.TEXT)
