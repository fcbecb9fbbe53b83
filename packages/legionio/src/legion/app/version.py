"""The start-up banner: what runs, where, and how it is protected."""

from __future__ import annotations

from legion.app._version import __version__
from legion.core.settings import Settings


def banner(settings: Settings, loaded: list[str], functions: int) -> str:
    api = settings.api
    auth = (
        "open on loopback (api.auth.loopback_open)"
        if api.auth.loopback_open
        else "loopback only; authentication is not available in this version"
    )
    return (
        f"Legion {__version__} ({settings.mode} mode) — REST API on http://{api.host}:{api.port} "
        f"(health: /api/health); auth: {auth}; extensions: {', '.join(loaded) or 'none'} "
        f"({functions} functions); home: {settings.home}"
    )
