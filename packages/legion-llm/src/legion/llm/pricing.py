"""What a call cost in USD: the deployment's configured per-token prices first, else litellm's
price map once it has been loaded. An unknown price is None, never a guess.

The map is the JSON file litellm ships in its package, read without importing litellm (which
takes seconds and a couple of hundred MB); the server loads it once in a background thread at
start, and until then only configured prices are known.
"""

from __future__ import annotations

import importlib.util
import json
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from legion.llm.canonical import Usage
from legion.llm.deployment import Deployment

PRICE_FILE = "model_prices_and_context_window_backup.json"
_lock = threading.Lock()
_price_map: Mapping[str, Mapping[str, Any]] | None = None


def load_price_map() -> Mapping[str, Mapping[str, Any]]:
    """litellm's table of model prices (the copy shipped in its package, never fetched)."""
    global _price_map
    with _lock:
        if _price_map is None:
            table = json.loads(_shipped_map().read_text())
            _price_map = {k: v for k, v in table.items() if isinstance(v, Mapping)}
        return _price_map


def _shipped_map() -> Path:
    """The price file inside the installed litellm package, found without importing it."""
    spec = importlib.util.find_spec("litellm")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("litellm is not installed: pip install 'legion-llm[litellm]'")
    for location in spec.submodule_search_locations:
        path = Path(location) / PRICE_FILE
        if path.is_file():
            return path
    raise FileNotFoundError(f"litellm is installed but has no {PRICE_FILE}")


def set_price_map(table: Mapping[str, Mapping[str, Any]] | None) -> None:
    """Install a price table (or None to forget it), as if `load_price_map` had read it."""
    global _price_map
    with _lock:
        _price_map = table


def price_map_loaded() -> bool:
    return _price_map is not None


def _candidates(deployment: Deployment) -> list[str]:
    """The model id as litellm's map may key it: as given, without its provider prefix, and with
    the adapter family as prefix."""
    model = deployment.model
    names = [model]
    if "/" in model:
        names.append(model.split("/", 1)[1])
    elif deployment.provider != "litellm":
        names.append(f"{deployment.provider}/{model}")
    return names


def map_entry(deployment: Deployment) -> Mapping[str, Any] | None:
    table = _price_map
    if table is None:
        return None
    for name in _candidates(deployment):
        entry = table.get(name)
        if entry is not None:
            return entry
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def cost_usd(deployment: Deployment, usage: Usage) -> float | None:
    """The cost of `usage` on `deployment`, or None when a price that matters is unknown.
    Cache reads are part of `usage.input_tokens`; the map's cheaper cache-read price applies to
    them when it has one."""
    entry = None
    input_price = deployment.input_cost_per_token
    output_price = deployment.output_cost_per_token
    cache_price: float | None = None
    if input_price is None or output_price is None:
        entry = map_entry(deployment)
        if entry is not None:
            if input_price is None:
                input_price = _number(entry.get("input_cost_per_token"))
                cache_price = _number(entry.get("cache_read_input_token_cost"))
            if output_price is None:
                output_price = _number(entry.get("output_cost_per_token"))
    if input_price is None and usage.input_tokens:
        return None
    if output_price is None and usage.output_tokens:
        return None
    cached = min(usage.cache_read_tokens, usage.input_tokens)
    if cache_price is None:
        cache_price = input_price
    total = (usage.input_tokens - cached) * (input_price or 0.0)
    total += cached * (cache_price or 0.0)
    total += usage.output_tokens * (output_price or 0.0)
    return total
