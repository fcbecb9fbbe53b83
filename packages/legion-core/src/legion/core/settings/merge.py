"""Deep merge of settings layers, remembering which layer set each leaf."""

from __future__ import annotations

from typing import Any


def deep_merge(base: dict[str, Any], overlay: dict[str, Any]) -> dict[str, Any]:
    """Merge `overlay` onto `base` (returned); nested dicts merge, anything else is replaced."""
    for key, value in overlay.items():
        current = base.get(key)
        if isinstance(current, dict) and isinstance(value, dict):
            base[key] = deep_merge(dict(current), value)
        else:
            base[key] = value
    return base


def leaf_paths(data: dict[str, Any], prefix: str = "") -> list[str]:
    """Dotted paths of every leaf (a non-dict value or an empty dict)."""
    paths: list[str] = []
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            paths.extend(leaf_paths(value, f"{path}."))
        else:
            paths.append(path)
    return paths


def set_path(data: dict[str, Any], dotted: list[str], value: Any) -> None:
    node = data
    for part in dotted[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    node[dotted[-1]] = value
