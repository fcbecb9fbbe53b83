"""Every failure answers in the client's own dialect: the Anthropic error object under
`/v1/messages`, OpenAI's everywhere else. Never a traceback."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException

from legion.core.logging import logger
from legion.llm.errors import ErrorKind, GatewayError
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


def error_response(path: str, error: GatewayError) -> Response[bytes]:
    if path.startswith("/v1/messages"):
        status, body = anthropic_messages.render_error(error)
    else:
        status, body = openai_errors.render_error(error)
    headers: dict[str, str] = {}
    if error.retry_after is not None:
        headers["retry-after"] = str(max(1, round(error.retry_after)))
    attempts = error.details.get("attempts")
    if attempts:
        headers["x-legion-attempts"] = str(len(attempts))
    return Response(
        msgspec.json.encode(body),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


def on_gateway_error(request: Request[Any, Any, Any], exc: GatewayError) -> Response[bytes]:
    if exc.kind is ErrorKind.INTERNAL:
        logger.error("gateway error on {}: {}", request.url.path, exc.message)
    return error_response(request.url.path, exc)


def on_http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[bytes]:
    kind = HTTP_KINDS.get(exc.status_code, ErrorKind.INTERNAL)
    message = str(exc.detail)
    if exc.status_code == 404:
        message = f"no route {request.method} {request.url.path}"
    elif exc.status_code == 405:
        message = f"method {request.method} is not allowed on {request.url.path}"
    return error_response(request.url.path, GatewayError(kind, message))


def on_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    logger.opt(exception=exc).error("unhandled error on {}", request.url.path)
    return error_response(
        request.url.path, GatewayError(ErrorKind.INTERNAL, "internal gateway error; see its log")
    )
