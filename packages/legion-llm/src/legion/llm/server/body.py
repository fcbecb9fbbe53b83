"""Reading a request body: the size limit first, then JSON, each failure a clear client error."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request

from legion.llm.errors import ErrorKind, GatewayError

_decoder = msgspec.json.Decoder()


async def read_json(request: Request[Any, Any, Any], limit: int) -> Any:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(int(declared), limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(size, limit)
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw:
        raise GatewayError(
            ErrorKind.INVALID_REQUEST, "the request body is empty; send a JSON object"
        )
    try:
        return _decoder.decode(raw)
    except msgspec.DecodeError as exc:
        raise GatewayError(
            ErrorKind.INVALID_REQUEST, f"the request body is not valid JSON: {exc}"
        ) from None


def _too_large(size: int, limit: int) -> GatewayError:
    return GatewayError(
        ErrorKind.REQUEST_TOO_LARGE,
        f"request body of {size} bytes is over the limit of {limit} bytes "
        "(legion.server.max_body_bytes in the config)",
    )
