"""Bearer tokens: minted by `legion auth token`, verified on every API call.

HS256 under keys derived from the cluster secret, RS256 and EdDSA under the public keys of
`api.auth.public_keys`. Each key verifies only the algorithm its type fixes (see
`asymmetric_keys`): the header's `alg` only narrows which keys are tried, so a token naming
`none`, an algorithm no configured key has, or another key type's algorithm is refused before
any signature check, and an HS256 token is never checked against an RSA key. `exp`, `iat`,
`jti`, `sub` and `iss` are required and clock skew is bounded the same way for every algorithm.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

import jwt
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from legion.app.security.asymmetric_keys import HS256, VerifyKey, signing_algorithm
from legion.app.security.principals import Principal, user_principal

ALGORITHM = HS256  # what `legion auth token` signs with unless given a private key
ROLE_NAME = r"^[A-Za-z0-9._-]{1,100}$"


class TokenError(Exception):
    """Why a token was refused (said to the caller; never includes the token)."""


class Claims(BaseModel):
    """The claims a Legion token must carry; others are ignored."""

    model_config = ConfigDict(extra="ignore")

    sub: str = Field(pattern=r"^[^\s:][^\s]{0,199}$")
    iss: str
    iat: int
    exp: int
    jti: str = Field(min_length=8, max_length=128)
    roles: list[str] = Field(default_factory=list, max_length=50)
    tenant: str | None = Field(default=None, pattern=r"^[A-Za-z0-9._-]{1,100}$")

    def principal(self) -> Principal:
        return user_principal(self.sub, tuple(self.roles), self.tenant)


def mint(
    key: Any,
    *,
    subject: str,
    roles: list[str],
    ttl: int,
    issuer: str,
    tenant: str | None = None,
    now: float | None = None,
    kid: str | None = None,
) -> tuple[str, Claims]:
    """A signed token and its claims (validated the same way a verifier will).

    `key` is HMAC key bytes (HS256) or an RSA (RS256) or Ed25519 (EdDSA) private key.
    """
    algorithm = signing_algorithm(key)
    issued = int(time.time() if now is None else now)
    claims = Claims(
        sub=subject,
        iss=issuer,
        iat=issued,
        exp=issued + ttl,
        jti=secrets.token_hex(16),
        roles=roles,
        tenant=tenant,
    )
    payload = claims.model_dump(exclude_none=True)
    headers = {"kid": kid} if kid else None
    return jwt.encode(payload, key, algorithm=algorithm, headers=headers), claims


class TokenVerifier:
    """Checks algorithm, signature (any key of that algorithm), issuer, lifetime and claims.

    `keys` are the HS256 keys (from the cluster secret); `public_keys` the RS256/EdDSA ones.
    """

    def __init__(
        self,
        keys: tuple[bytes, ...],
        *,
        issuer: str,
        skew: int,
        max_ttl: int,
        public_keys: tuple[VerifyKey, ...] = (),
    ) -> None:
        if not keys and not public_keys:
            raise ValueError("a token verifier needs at least one key")
        self.issuer, self.skew, self.max_ttl = issuer, skew, max_ttl
        every = (*(VerifyKey(HS256, k) for k in keys), *public_keys)
        self.by_algorithm: dict[str, tuple[VerifyKey, ...]] = {}
        for key in every:
            self.by_algorithm[key.algorithm] = (*self.by_algorithm.get(key.algorithm, ()), key)
        self.accepted = ", ".join(self.by_algorithm)

    def verify(self, token: str, *, now: float | None = None) -> Claims:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise TokenError("malformed token") from None
        candidates = self._candidates(header.get("alg"), header.get("kid"))
        payload = self._decode(token, candidates)
        try:
            claims = Claims.model_validate(payload)
        except ValidationError as exc:
            fields = ", ".join(str(e["loc"][0]) for e in exc.errors() if e["loc"])
            raise TokenError(f"token claims are invalid ({fields})") from None
        current = time.time() if now is None else now
        if claims.iat > current + self.skew:
            raise TokenError("token issued in the future")
        if claims.exp <= claims.iat or claims.exp - claims.iat > self.max_ttl + self.skew:
            raise TokenError("token lifetime is out of bounds")
        return claims

    def _candidates(self, alg: Any, kid: Any) -> tuple[VerifyKey, ...]:
        """The keys whose type fixes the header's algorithm; those named by `kid` if any are."""
        keys = self.by_algorithm.get(alg, ()) if isinstance(alg, str) else ()
        if not keys:
            raise TokenError(f"token algorithm is not accepted (accepted: {self.accepted})")
        if isinstance(kid, str):
            named = tuple(k for k in keys if k.kid == kid)
            if named:
                return named
        return keys

    def _decode(self, token: str, keys: tuple[VerifyKey, ...]) -> dict[str, Any]:
        options: Any = {"require": ["exp", "iat", "jti", "sub", "iss"]}
        for key in keys:
            try:
                decoded: dict[str, Any] = jwt.decode(
                    token,
                    key.key,
                    algorithms=[key.algorithm],  # the key's own algorithm, never the header's
                    issuer=self.issuer,
                    leeway=self.skew,
                    options=options,
                )
                return decoded
            except jwt.InvalidSignatureError:
                continue
            except jwt.ExpiredSignatureError:
                raise TokenError("token expired") from None
            except jwt.ImmatureSignatureError:
                raise TokenError("token issued in the future") from None
            except jwt.MissingRequiredClaimError as exc:
                raise TokenError(f"token lacks the {exc.claim!r} claim") from None
            except jwt.InvalidIssuerError:
                raise TokenError("token issuer is not accepted") from None
            except jwt.PyJWTError:
                raise TokenError("token is invalid") from None
        raise TokenError("token signature does not verify")
