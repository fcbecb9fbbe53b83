"""The response envelope every route uses, and the error envelope for every failure."""

from __future__ import annotations

import socket
from datetime import UTC, datetime
from typing import Any

NODE = socket.gethostname()


def meta() -> dict[str, Any]:
    return {"timestamp": datetime.now(UTC).isoformat(), "node": NODE}


def ok(data: Any, **extra_meta: Any) -> dict[str, Any]:
    return {"data": data, "meta": {**meta(), **extra_meta}}


def failure(
    code: str, message: str, details: Any = None, *, hint: str | None = None
) -> dict[str, Any]:
    """`details` is always present (null when there are none); `hint` says what to do next."""
    error: dict[str, Any] = {"code": code, "message": message, "details": details}
    if hint:
        error["hint"] = hint
    return {"error": error, "meta": meta()}
