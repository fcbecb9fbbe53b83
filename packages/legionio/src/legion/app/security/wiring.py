"""Putting the security layer in front of the REST API, and the start-up notice about it."""

from __future__ import annotations

from typing import Any

from legion.app.security.loopback import auth_required, is_loopback
from legion.core.settings import Settings


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

    return create_app(runtime.catalog, middleware=build_security(settings, runtime), **kwargs)
