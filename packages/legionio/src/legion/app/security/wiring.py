"""Putting the security layer in front of the REST API, and the start-up notice about it.

Until `create_app` takes `middleware=`, the API cannot be protected: then a node that needs
credentials (non-loopback bind, or loopback with `loopback_open` off) refuses to start
instead of serving an open API.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from legion.app.security.loopback import auth_required, is_loopback
from legion.core.errors import UsageError
from legion.core.settings import Settings


def accepts_middleware(create_app: Callable[..., Any]) -> bool:
    return "middleware" in inspect.signature(create_app).parameters


def security_available() -> bool:
    from legion.app.api.app import create_app

    return accepts_middleware(create_app)


def auth_notice(settings: Settings) -> str:
    """One line for the start-up banner: what a caller of the API must present."""
    host = settings.api.host
    if not auth_required(settings):
        return (
            f"API auth: loopback_open is set: no credentials needed on {host} (any local "
            "process acts as user:local, admin unless a policy says otherwise)"
        )
    where = "loopback with loopback_open off" if is_loopback(host) else "a non-loopback address"
    return f"API auth: required on {host} ({where}): X-API-Key or Authorization: Bearer"


def secured_app(settings: Settings, runtime: Any, **kwargs: Any) -> Any:
    """`create_app(...)` with `build_security(...)` as its middleware."""
    from legion.app.api.app import create_app
    from legion.app.security.build import build_security

    if accepts_middleware(create_app):
        return create_app(runtime.catalog, middleware=build_security(settings, runtime), **kwargs)
    if auth_required(settings):
        raise UsageError(
            f"refusing to serve the API on {settings.api.host}: this build's API cannot run "
            "the authentication middleware",
            hint="bind to 127.0.0.1 with api.auth.loopback_open true",
        )
    return create_app(runtime.catalog, **kwargs)
