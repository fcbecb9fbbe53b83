"""Bearer tokens for the HTTP transport: kept only as SHA-256 digests, compared in constant time.

On a loopback address with `mcp.auth.loopback_open` (the default) no token is needed; anywhere
else, or with it off, a configured token is required and the server refuses to start without one.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from fastmcp.server.auth import AccessToken, TokenVerifier

from legion.core.errors import UsageError

PREFIX = "sha256:"


def digest(token: str) -> str:
    """The hex SHA-256 of a token: what settings store under `mcp.auth.tokens`."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def mint() -> tuple[str, str]:
    """A new random token and its digest; the token itself is shown once and never stored."""
    token = "lgn_" + secrets.token_urlsafe(32)
    return token, digest(token)


def normalize(stored: str) -> str:
    return stored.removeprefix(PREFIX).lower()


class TokenVerifierSet(TokenVerifier):
    """Accepts a token whose digest is configured; every digest is compared, matches or not."""

    def __init__(self, digests: Iterable[str]) -> None:
        super().__init__()
        self.digests = tuple(normalize(d) for d in digests)

    def match(self, token: str) -> str | None:
        presented = digest(token)
        found = None
        for stored in self.digests:
            if hmac.compare_digest(presented, stored) and found is None:
                found = stored
        return found

    async def verify_token(self, token: str) -> AccessToken | None:
        found = self.match(token)
        if found is None:
            return None
        return AccessToken(token=token, client_id=f"token:{found[:12]}", scopes=[])


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class AuthPolicy:
    """What the HTTP server enforces, and the line it prints on start-up."""

    verifier: TokenVerifierSet | None
    notice: str


def http_auth(host: str, *, loopback_open: bool, tokens: Iterable[str]) -> AuthPolicy:
    """Open on loopback when allowed; otherwise tokens required (none configured: refuse)."""
    digests = list(tokens)
    if is_loopback(host) and loopback_open:
        return AuthPolicy(
            None,
            f"MCP over HTTP on loopback {host} without authentication (mcp.auth.loopback_open "
            "is true); any local process can use it",
        )
    if not digests:
        where = "a non-loopback address" if not is_loopback(host) else "loopback_open off"
        raise UsageError(
            f"MCP over HTTP on {host} ({where}) needs a bearer token, and none is configured",
            hint="mint one with `legion mcp token` and add its digest to mcp.auth.tokens",
        )
    return AuthPolicy(
        TokenVerifierSet(digests),
        f"MCP over HTTP on {host}: bearer token required ({len(digests)} configured)",
    )
