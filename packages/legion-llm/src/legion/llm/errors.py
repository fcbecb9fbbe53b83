"""Gateway errors by kind: the status code, whether escalation may try another candidate, and
what the deployment's health learns from it. Dialects render them in their own error format."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class ErrorKind(StrEnum):
    INVALID_REQUEST = "invalid_request"
    AUTHENTICATION = "authentication"
    PERMISSION = "permission"
    NOT_FOUND = "not_found"
    REQUEST_TOO_LARGE = "request_too_large"
    UNSUPPORTED = "unsupported"
    CONTEXT_OVERFLOW = "context_overflow"
    RATE_LIMIT = "rate_limit"
    UPSTREAM = "upstream"
    OVERLOADED = "overloaded"
    TIMEOUT = "timeout"
    INTERNAL = "internal"


STATUS: dict[ErrorKind, int] = {
    ErrorKind.INVALID_REQUEST: 400,
    ErrorKind.AUTHENTICATION: 401,
    ErrorKind.PERMISSION: 403,
    ErrorKind.NOT_FOUND: 404,
    ErrorKind.REQUEST_TOO_LARGE: 413,
    ErrorKind.UNSUPPORTED: 400,
    ErrorKind.CONTEXT_OVERFLOW: 400,
    ErrorKind.RATE_LIMIT: 429,
    ErrorKind.UPSTREAM: 502,
    ErrorKind.OVERLOADED: 503,
    ErrorKind.TIMEOUT: 504,
    ErrorKind.INTERNAL: 500,
}

# Kinds after which another candidate may succeed where this one failed.
RETRYABLE = frozenset(
    {
        ErrorKind.RATE_LIMIT,
        ErrorKind.UPSTREAM,
        ErrorKind.OVERLOADED,
        ErrorKind.TIMEOUT,
        ErrorKind.CONTEXT_OVERFLOW,
    }
)


@dataclass
class GatewayError(Exception):
    """An error to answer the client with, in its dialect's format.

    `upstream` is True when a provider produced it (as opposed to the gateway refusing the
    request); `unusable` marks a deployment broken until config reload (bad key, unknown model).
    """

    kind: ErrorKind
    message: str
    param: str | None = None
    retry_after: float | None = None
    upstream: bool = False
    unusable: bool = False
    details: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        Exception.__init__(self, self.message)

    @property
    def status(self) -> int:
        return STATUS[self.kind]

    @property
    def retryable(self) -> bool:
        return self.kind in RETRYABLE


def from_upstream_status(
    status: int, message: str, *, retry_after: float | None = None
) -> GatewayError:
    """Classify an upstream HTTP error: 401/403/404 make the deployment unusable (its key or model
    is wrong), 429/5xx are worth another candidate, other 4xx are the client's to fix."""
    if status in (401, 403, 404):
        kind, unusable = ErrorKind.UPSTREAM, True
    elif status == 429:
        kind, unusable = ErrorKind.RATE_LIMIT, False
    elif status == 413 or (status == 400 and "context" in message.lower()):
        kind, unusable = ErrorKind.CONTEXT_OVERFLOW, False
    elif status in (503, 529):
        kind, unusable = ErrorKind.OVERLOADED, False
    elif status in (408, 504):
        kind, unusable = ErrorKind.TIMEOUT, False
    elif status >= 500:
        kind, unusable = ErrorKind.UPSTREAM, False
    else:
        kind, unusable = ErrorKind.INVALID_REQUEST, False
    return GatewayError(
        kind,
        message,
        retry_after=retry_after,
        upstream=True,
        unusable=unusable,
        details={"upstream_status": status},
    )
