"""Replies as litestar responses, for the routes litestar serves."""

from __future__ import annotations

from typing import Any

from litestar import Response
from litestar.response import Stream

from legion.llm.server.exchange import Outgoing


def to_litestar(reply: Outgoing) -> Response[Any] | Stream:
    media_type = reply.headers[0][1]
    headers = dict(reply.headers[1:])
    if reply.stream is not None:
        return Stream(
            reply.stream, status_code=reply.status, media_type=media_type, headers=headers
        )
    return Response(reply.body, status_code=reply.status, media_type=media_type, headers=headers)


def json_response(payload: Any) -> Response[Any] | Stream:
    return to_litestar(Outgoing.json(payload))
