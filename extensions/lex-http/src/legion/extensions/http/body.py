"""Reading a response body within a size limit and a deadline, and turning it into a value."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any, NoReturn

from legion.extensions.http.errors import RequestTimedOut, ResponseTooLarge

if TYPE_CHECKING:
    import httpx


def read_limited(response: httpx.Response, *, where: str, max_bytes: int, deadline: float) -> bytes:
    """Stream the body, stopping as soon as it passes `max_bytes` or the deadline passes.

    Counts decoded bytes, so the limit also holds for compressed bodies; httpx decompresses one
    network read (at most 64 KiB on the wire) at a time before it can be counted.
    """
    declared = response.headers.get("content-length", "")
    unencoded = "content-encoding" not in response.headers
    if unencoded and declared.isdigit() and int(declared) > max_bytes:
        _too_large(where, max_bytes, f"the server announced {int(declared)} bytes")
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > max_bytes:
            _too_large(where, max_bytes, f"stopped reading after {size} bytes")
        chunks.append(chunk)
        if time.monotonic() > deadline:
            raise RequestTimedOut(
                f"{where}: the response body was still arriving when the timeout ran out",
                hint="raise timeout, or ask for less data",
            )
    return b"".join(chunks)


def _too_large(where: str, max_bytes: int, detail: str) -> NoReturn:
    raise ResponseTooLarge(
        f"{where}: response body exceeds max_bytes={max_bytes} ({detail})",
        hint="raise max_bytes if the caller can hold that much, or ask for less data",
        details={"max_bytes": max_bytes},
    )


def is_json(content_type: str) -> bool:
    """`application/json` and any `+json` type (e.g. `application/problem+json`)."""
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


def _reject_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not JSON")


def decode(content: bytes, *, content_type: str, encoding: str) -> Any:
    """Parsed JSON when the response says it is JSON and parses; otherwise the text.

    Undecodable bytes become U+FFFD rather than failing the call; NaN/Infinity are not accepted
    as JSON, so the result always serialises back to JSON.
    """
    text = content.decode(encoding, errors="replace")
    if is_json(content_type) and text.strip():
        try:
            return json.loads(text, parse_constant=_reject_constant)
        except ValueError:
            return text
    return text
