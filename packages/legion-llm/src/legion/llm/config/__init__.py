"""Gateway configuration: LiteLLM's config.yaml as it is, plus Legion's own keys.

`load_config`, `ConfigError` and `GatewayConfig` are exported lazily, so importing a submodule
(the router imports only the dataclasses) does not pull in pydantic and PyYAML.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from legion.llm.config.errors import ConfigError
    from legion.llm.config.gateway_config import GatewayConfig
    from legion.llm.config.loader import load_config

__all__ = ["ConfigError", "GatewayConfig", "load_config"]

_HOMES = {
    "ConfigError": "legion.llm.config.errors",
    "GatewayConfig": "legion.llm.config.gateway_config",
    "load_config": "legion.llm.config.loader",
}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        import importlib

        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
