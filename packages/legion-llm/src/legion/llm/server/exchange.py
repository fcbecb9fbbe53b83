"""A request and its reply as the dialect handlers see them: no web framework in between, so the
hot routes can be served straight from ASGI and the same handlers also run under litestar."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import msgspec

from legion.llm.errors import ErrorKind, GatewayError

_decoder = msgspec.json.Decoder()
_encoder = msgspec.json.Encoder()
SSE_HEADERS = (("cache-control", "no-cache"), ("x-accel-buffering", "no"))


@dataclass(slots=True)
class Incoming:
    path: str
    headers: Mapping[str, str]  # lower-case names
    body: bytes = b""

    def json(self) -> Any:
        if not self.body:
            raise GatewayError(
                ErrorKind.INVALID_REQUEST, "the request body is empty; send a JSON object"
            )
        try:
            return _decoder.decode(self.body)
        except msgspec.DecodeError as exc:
            raise GatewayError(
                ErrorKind.INVALID_REQUEST, f"the request body is not valid JSON: {exc}"
            ) from None


@dataclass(slots=True)
class Outgoing:
    """A JSON body, or an SSE stream when `stream` is set."""

    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    stream: AsyncIterator[bytes] | None = None

    @classmethod
    def json(cls, payload: Any, headers: list[tuple[str, str]] | None = None) -> Outgoing:
        return cls(
            200, [("content-type", "application/json"), *(headers or [])], _encoder.encode(payload)
        )

    @classmethod
    def sse(cls, body: AsyncIterator[bytes], headers: list[tuple[str, str]]) -> Outgoing:
        return cls(
            200, [("content-type", "text/event-stream"), *SSE_HEADERS, *headers], stream=body
        )


def too_large(size: int, limit: int) -> GatewayError:
    return GatewayError(
        ErrorKind.REQUEST_TOO_LARGE,
        f"request body of {size} bytes is over the limit of {limit} bytes "
        "(legion.server.max_body_bytes in the config)",
    )
