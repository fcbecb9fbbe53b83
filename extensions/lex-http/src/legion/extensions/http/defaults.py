"""Default settings of lex-http, declared on the extension and used by the runners.

Runner functions do not receive node settings yet, so these module values are what applies when a
caller leaves an argument out; they are the same values `Extension(settings=...)` declares.
"""

from __future__ import annotations

from typing import Any

from legion.extensions.http._version import __version__

TIMEOUT = 10.0
"""Seconds allowed for the whole exchange, and for each single network wait within it."""

MAX_TIMEOUT = 120.0
"""Largest `timeout` a caller may ask for; keeps the capability's own time limit meaningful."""

CAPABILITY_TIMEOUT = 3 * MAX_TIMEOUT + 10.0
"""The engine's outer limit: connecting, sending and awaiting the answer may each use `timeout`."""

MAX_BYTES = 10 * 1024 * 1024
"""Largest response body read, after content decoding (10 MiB)."""

USER_AGENT = f"legion-http/{__version__}"

SETTINGS: dict[str, Any] = {
    "timeout": TIMEOUT,
    "max_bytes": MAX_BYTES,
    "user_agent": USER_AGENT,
}
