"""The ping runner."""

from __future__ import annotations

import socket
from datetime import UTC, datetime
from typing import Any


def ping(message: str | None = None) -> dict[str, Any]:
    """Answer pong with the node's host name and a UTC timestamp; echoes `message` if given."""
    reply: dict[str, Any] = {
        "reply": "pong",
        "host": socket.gethostname(),
        "timestamp": datetime.now(UTC).isoformat(),
    }
    if message is not None:
        reply["message"] = message
    return reply
