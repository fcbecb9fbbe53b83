"""Fast JSON and SSE responses with the route header every answer carries."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import msgspec
from litestar import Response
from litestar.response import Stream

from legion.llm.gateway import RequestContext

_encoder = msgspec.json.Encoder()
SSE_HEADERS = {"cache-control": "no-cache", "x-accel-buffering": "no"}


def _headers(ctx: RequestContext | None) -> dict[str, str]:
    if ctx is None:
        return {}
    headers = {"x-request-id": ctx.request_id}
    route = ctx.route_header
    if route:
        headers["x-legion-route"] = route
    return headers


def json_response(body: Any, ctx: RequestContext | None = None) -> Response[bytes]:
    return Response(
        _encoder.encode(body), status_code=200, media_type="application/json", headers=_headers(ctx)
    )


def sse_response(body: AsyncIterator[bytes], ctx: RequestContext) -> Stream:
    return Stream(
        body,
        status_code=200,
        media_type="text/event-stream",
        headers={**SSE_HEADERS, **_headers(ctx)},
    )
