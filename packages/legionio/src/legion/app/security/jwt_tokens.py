"""HS256 bearer tokens: minted by `legion auth token`, verified on every API call.

Only HS256 is accepted (a token naming `none` or any other algorithm is refused before any
key is tried); `exp`, `iat`, `jti`, `sub` and `iss` are required; clock skew is bounded.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

import jwt
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from legion.app.security.principals import Principal, user_principal

ALGORITHM = "HS256"
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
    key: bytes,
    *,
    subject: str,
    roles: list[str],
    ttl: int,
    issuer: str,
    tenant: str | None = None,
    now: float | None = None,
) -> tuple[str, Claims]:
    """A signed token and its claims (validated the same way a verifier will)."""
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
    return jwt.encode(payload, key, algorithm=ALGORITHM), claims


class TokenVerifier:
    """Checks signature (any of `keys`), algorithm, issuer, lifetime and claim shapes."""

    def __init__(self, keys: tuple[bytes, ...], *, issuer: str, skew: int, max_ttl: int) -> None:
        if not keys:
            raise ValueError("a token verifier needs at least one key")
        self.keys, self.issuer, self.skew, self.max_ttl = keys, issuer, skew, max_ttl

    def verify(self, token: str, *, now: float | None = None) -> Claims:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise TokenError("malformed token") from None
        if header.get("alg") != ALGORITHM:
            raise TokenError(f"token algorithm must be {ALGORITHM}")
        payload = self._decode(token)
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

    def _decode(self, token: str) -> dict[str, Any]:
        options: Any = {"require": ["exp", "iat", "jti", "sub", "iss"]}
        for key in self.keys:
            try:
                decoded: dict[str, Any] = jwt.decode(
                    token,
                    key,
                    algorithms=[ALGORITHM],
                    issuer=self.issuer,
                    leeway=self.skew,
                    options=options,
                )
                return decoded
            except jwt.InvalidSignatureError:
                continue
            except jwt.ExpiredSignatureError:
                raise TokenError("token expired") from None
            except jwt.MissingRequiredClaimError as exc:
                raise TokenError(f"token lacks the {exc.claim!r} claim") from None
            except jwt.InvalidIssuerError:
                raise TokenError("token issuer is not accepted") from None
            except jwt.PyJWTError:
                raise TokenError("token is invalid") from None
        raise TokenError("token signature does not verify")
