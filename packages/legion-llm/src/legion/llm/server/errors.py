"""Every failure answers in the client's own dialect: the Anthropic error object under
`/v1/messages`, OpenAI's everywhere else. Never a traceback."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException

from legion.core.logging import logger
from legion.llm.errors import ErrorKind, GatewayError
from legion.llm.server.exchange import Outgoing
from legion.llm.wire import anthropic_messages, openai_errors

HTTP_KINDS = {
    400: ErrorKind.INVALID_REQUEST,
    401: ErrorKind.AUTHENTICATION,
    403: ErrorKind.PERMISSION,
    404: ErrorKind.NOT_FOUND,
    405: ErrorKind.INVALID_REQUEST,
    413: ErrorKind.REQUEST_TOO_LARGE,
    429: ErrorKind.RATE_LIMIT,
}
INTERNAL = GatewayError(ErrorKind.INTERNAL, "internal gateway error; see its log")


def error_reply(path: str, error: GatewayError) -> Outgoing:
    if path.startswith("/v1/messages"):
        status, body = anthropic_messages.render_error(error)
    else:
        status, body = openai_errors.render_error(error)
    headers = [("content-type", "application/json")]
    if error.retry_after is not None:
        headers.append(("retry-after", str(max(1, round(error.retry_after)))))
    attempts = error.details.get("attempts")
    if attempts:
        headers.append(("x-legion-attempts", str(len(attempts))))
    if error.kind is ErrorKind.INTERNAL:
        logger.error("gateway error on {}: {}", path, error.message)
    return Outgoing(status, headers, msgspec.json.encode(body))


def _litestar(reply: Outgoing) -> Response[bytes]:
    return Response(
        reply.body,
        status_code=reply.status,
        headers=dict(reply.headers[1:]),
        media_type="application/json",
    )


def on_gateway_error(request: Request[Any, Any, Any], exc: GatewayError) -> Response[bytes]:
    return _litestar(error_reply(request.url.path, exc))


def on_http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[bytes]:
    kind = HTTP_KINDS.get(exc.status_code, ErrorKind.INTERNAL)
    message = str(exc.detail)
    if exc.status_code == 404:
        message = f"no route {request.method} {request.url.path}"
    elif exc.status_code == 405:
        message = f"method {request.method} is not allowed on {request.url.path}"
    return _litestar(error_reply(request.url.path, GatewayError(kind, message)))


def on_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    logger.opt(exception=exc).error("unhandled error on {}", request.url.path)
    return _litestar(error_reply(request.url.path, INTERNAL))
