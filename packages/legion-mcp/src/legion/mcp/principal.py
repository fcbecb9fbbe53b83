"""Who is calling: the bearer token's identity over HTTP, else the local user of stdio/loopback."""

from __future__ import annotations

from fastmcp.server.dependencies import get_access_token, get_context


def current_principal() -> str:
    """`token:<digest prefix>` for an authenticated HTTP call, `local:<transport>` otherwise."""
    try:
        token = get_access_token()
    except (RuntimeError, TypeError):
        token = None
    if token is not None:
        return token.client_id
    try:
        transport = get_context().transport
    except RuntimeError:
        transport = None
    return f"local:{transport or 'in-memory'}"
