"""Failures of an HTTP exchange, as `LegionError`s so callers get a message, never a traceback."""

from __future__ import annotations

from legion.core.errors import LegionError


class HttpError(LegionError):
    """The request was well formed but the exchange with the server failed."""

    code = "http_error"


class RequestTimedOut(HttpError):
    """The server did not connect, answer or finish answering within the timeout."""

    code = "http_timeout"


class ConnectionFailed(HttpError):
    """No connection could be made: refused, unreachable, or the host name did not resolve."""

    code = "http_connection_failed"


class ResponseTooLarge(HttpError):
    """The response body exceeded `max_bytes`; reading stopped there."""

    code = "http_response_too_large"
