"""The components `legionio check` connects to, in the order they are reported."""

from __future__ import annotations

from typing import TYPE_CHECKING

from legion.app.health import broker, cache, database, spool, vault
from legion.app.health.report import Finding
from legion.app.health.runner import Check, run_concurrently

if TYPE_CHECKING:
    from legion.core.settings import Settings


def component_checks(settings: Settings, timeout: float) -> list[tuple[str, Check]]:
    return [
        ("database", lambda: database.check(settings, timeout)),
        ("cache", lambda: cache.check(settings, timeout)),
        ("broker", lambda: broker.check(settings, timeout)),
        ("vault", lambda: vault.check(settings, timeout)),
        ("spool", lambda: spool.check(settings)),
    ]


def check_components(settings: Settings, timeout: float) -> list[Finding]:
    """One finding per component, all checked at once, none waited on past `timeout`."""
    return run_concurrently(component_checks(settings, timeout), timeout)
