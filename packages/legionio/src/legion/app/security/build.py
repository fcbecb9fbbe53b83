"""`build_security(settings, runtime)`: the middleware list `create_app(middleware=...)` takes."""

from __future__ import annotations

from typing import Any

from litestar.middleware import DefineMiddleware
from sqlalchemy import Engine

from legion.app.security.api_keys import ApiKeyVerifier
from legion.app.security.asymmetric_keys import load_public_keys
from legion.app.security.audit import AuditLog
from legion.app.security.authenticate import Authenticator
from legion.app.security.jwt_tokens import TokenVerifier
from legion.app.security.loopback import auth_required
from legion.app.security.middleware import SecurityLayer, SecurityMiddleware
from legion.app.security.rate_limits import RateLimits
from legion.app.security.rbac import RbacGuard, build_engine
from legion.app.security.signing_key import token_keys
from legion.core.settings import Settings


def token_verifier(settings: Settings) -> TokenVerifier:
    """HS256 under the cluster secret's derived keys, plus `api.auth.public_keys` (RS256/EdDSA);
    an unreadable or unusable public key is a ConfigError here, at start-up."""
    auth = settings.api.auth
    return TokenVerifier(
        token_keys(settings),
        issuer=auth.issuer,
        skew=auth.clock_skew_seconds,
        max_ttl=auth.max_token_ttl,
        public_keys=load_public_keys(auth.public_keys),
    )


def build_layer(settings: Settings, db: Engine) -> SecurityLayer:
    """Policies, verifiers, limits and the audit log for one app; policy errors raise here."""
    from legion.core.ratelimit import open_rate_limiter

    authenticator = Authenticator(
        ApiKeyVerifier(db), token_verifier(settings), required=auth_required(settings)
    )
    limits = None
    if settings.api.rate_limit.enabled:
        limits = RateLimits(open_rate_limiter(settings), settings.api.rate_limit)
    return SecurityLayer(authenticator, RbacGuard(build_engine(settings)), limits, AuditLog(db))


def build_security(
    settings: Settings, runtime: Any = None, *, db: Engine | None = None
) -> list[Any]:
    """The middleware for the REST API, over the runtime's database (or `db`)."""
    database = db if db is not None else runtime.db
    return [DefineMiddleware(SecurityMiddleware, layer=build_layer(settings, database))]
