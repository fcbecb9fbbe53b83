"""Who a request comes from: an `X-API-Key`, a `Bearer` token, or (open loopback) the local user.

Presented credentials are always checked, even where none are required, so a bad or revoked
one is never silently downgraded to the open loopback's local user.
"""

from __future__ import annotations

from collections.abc import Mapping

import anyio.to_thread

from legion.app.security.api_keys import ApiKeyVerifier
from legion.app.security.jwt_tokens import TokenError, TokenVerifier
from legion.app.security.principals import Principal, local_principal


class AuthError(Exception):
    """Why a request is unauthenticated (safe to return: it never echoes a credential)."""


class Authenticator:
    def __init__(
        self, keys: ApiKeyVerifier, tokens: TokenVerifier | None, *, required: bool
    ) -> None:
        self.keys, self.tokens, self.required = keys, tokens, required

    async def authenticate(self, headers: Mapping[str, str]) -> Principal:
        key = headers.get("x-api-key")
        authorization = headers.get("authorization")
        if key is not None and authorization is not None:
            raise AuthError("send one credential: X-API-Key or Authorization, not both")
        if key is not None:
            if self.keys.inline:
                principal = self.keys.verify(key.strip())
            else:
                principal = await anyio.to_thread.run_sync(self.keys.verify, key.strip())
            if principal is None:
                raise AuthError("invalid or revoked API key")
            return principal
        if authorization is not None:
            scheme, _, token = authorization.strip().partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise AuthError("the Authorization header must be `Bearer <token>`")
            if self.tokens is None:
                raise AuthError("bearer tokens are not configured on this node")
            try:
                return self.tokens.verify(token.strip()).principal()
            except TokenError as exc:
                raise AuthError(str(exc)) from None
        if self.required:
            raise AuthError("authentication required: send X-API-Key or Authorization: Bearer")
        return local_principal()
