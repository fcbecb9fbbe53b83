"""The OpenAI error object: `{"error": {"message", "type", "param", "code"}}` with the status code
that makes the official SDK raise the matching exception class."""

from __future__ import annotations

import math
from typing import Any

from legion.llm.errors import ErrorKind, GatewayError

# (type, code) per kind, using the names OpenAI's own API answers with where it has one.
_TYPES: dict[ErrorKind, tuple[str, str | None]] = {
    ErrorKind.INVALID_REQUEST: ("invalid_request_error", None),
    ErrorKind.AUTHENTICATION: ("authentication_error", "invalid_api_key"),
    ErrorKind.PERMISSION: ("permission_error", "permission_denied"),
    ErrorKind.NOT_FOUND: ("not_found_error", "model_not_found"),
    ErrorKind.REQUEST_TOO_LARGE: ("invalid_request_error", "request_too_large"),
    ErrorKind.UNSUPPORTED: ("invalid_request_error", "unsupported_parameter"),
    ErrorKind.CONTEXT_OVERFLOW: ("invalid_request_error", "context_length_exceeded"),
    ErrorKind.RATE_LIMIT: ("rate_limit_error", "rate_limit_exceeded"),
    ErrorKind.UPSTREAM: ("api_error", "upstream_error"),
    ErrorKind.OVERLOADED: ("server_error", "overloaded"),
    ErrorKind.TIMEOUT: ("server_error", "timeout"),
    ErrorKind.INTERNAL: ("server_error", None),
}


def error_object(err: GatewayError) -> dict[str, Any]:
    """The inner `error` object, also used for in-stream error frames."""
    error_type, code = _TYPES.get(err.kind, ("server_error", None))
    return {"message": err.message, "type": error_type, "param": err.param, "code": code}


def render_error(err: GatewayError) -> tuple[int, dict[str, Any]]:
    """The HTTP status and body for an error answered before any response bytes were sent."""
    return err.status, {"error": error_object(err)}


def error_headers(err: GatewayError) -> dict[str, str]:
    """Headers that go with the error response: `Retry-After` when the upstream told us when."""
    if err.retry_after is None or err.retry_after < 0:
        return {}
    return {"Retry-After": str(math.ceil(err.retry_after))}
