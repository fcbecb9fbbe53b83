"""Which components this node provides to extensions that declare `requires`.

The engine adds data, cache and transport when it starts them; until then they are absent and
extensions needing them are skipped with that reason rather than failing later.
"""

from __future__ import annotations

from legion.core.settings.model import Settings

# What a lite node provides: SQLite store, in-memory cache, in-process transport.
LITE_COMPONENTS = frozenset({"data", "cache", "transport"})


def provided_components(
    settings: Settings, started: frozenset[str] = frozenset()
) -> frozenset[str]:
    """Components started by the runtime, plus llm when the gateway is enabled in settings."""
    provided = set(started)
    if settings.llm.enabled:
        provided.add("llm")
    return frozenset(provided)
