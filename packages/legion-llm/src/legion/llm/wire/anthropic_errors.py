"""Anthropic's error vocabulary, both ways: gateway errors rendered as Anthropic error bodies (so
the official SDK raises the matching exception class), and upstream error types classified."""

from __future__ import annotations

from typing import Any

from legion.llm.errors import ErrorKind, GatewayError, from_upstream_status

# What a client reads in `error.type` for each kind of gateway error.
ERROR_TYPES: dict[ErrorKind, str] = {
    ErrorKind.INVALID_REQUEST: "invalid_request_error",
    ErrorKind.AUTHENTICATION: "authentication_error",
    ErrorKind.PERMISSION: "permission_error",
    ErrorKind.NOT_FOUND: "not_found_error",
    ErrorKind.REQUEST_TOO_LARGE: "request_too_large",
    ErrorKind.UNSUPPORTED: "invalid_request_error",
    ErrorKind.CONTEXT_OVERFLOW: "invalid_request_error",
    ErrorKind.RATE_LIMIT: "rate_limit_error",
    ErrorKind.UPSTREAM: "api_error",
    ErrorKind.OVERLOADED: "overloaded_error",
    ErrorKind.TIMEOUT: "timeout_error",
    ErrorKind.INTERNAL: "api_error",
}

# The HTTP status Anthropic sends with each error type; an upstream error event mid-stream has
# no status of its own, so it is classified as if it had come with this one.
TYPE_STATUS: dict[str, int] = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "billing_error": 402,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "api_error": 500,
    "timeout_error": 504,
    "overloaded_error": 529,
}


def error_body(err: GatewayError) -> dict[str, Any]:
    """The `{"type": "error", "error": {...}}` object Anthropic answers errors with."""
    return {"type": "error", "error": {"type": ERROR_TYPES[err.kind], "message": err.message}}


def render_error(err: GatewayError) -> tuple[int, dict[str, Any]]:
    """Status and body for a failed request, as Anthropic's API would send them."""
    return err.status, error_body(err)


def upstream_error(data: Any, provider: str = "anthropic") -> GatewayError:
    """An upstream `error` object (an SSE `error` event or a JSON error body) as a gateway error."""
    error = data.get("error") if isinstance(data, dict) else None
    if not isinstance(error, dict):
        return GatewayError(
            ErrorKind.UPSTREAM, f"{provider}: upstream sent a malformed error event", upstream=True
        )
    kind = error.get("type")
    message = error.get("message")
    text = message if isinstance(message, str) else str(kind or "unknown error")
    status = TYPE_STATUS.get(kind, 500) if isinstance(kind, str) else 500
    return from_upstream_status(status, f"{provider}: {text}")
