"""Answers the middleware sends itself (401, 403, 429, 500) in the API's error envelope."""

from __future__ import annotations

import json
from typing import Any

from litestar.types import Send

from legion.app.api.envelope import failure


async def send_failure(
    send: Send,
    status: int,
    code: str,
    message: str,
    details: Any = None,
    headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    body = json.dumps(failure(code, message, details), default=str).encode()
    all_headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *(headers or []),
    ]
    if status == 401:
        all_headers.append((b"www-authenticate", b'Bearer realm="legion"'))
    await send({"type": "http.response.start", "status": status, "headers": all_headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})
