"""Settings values that point elsewhere: `env://NAME`, `file://path`, `vault://path#key`.

A list whose first item is a reference is a fallback chain: the first item that resolves wins,
and a plain value in the chain is the final default. Resolved values are treated as secrets.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from legion.core.errors import ConfigError

SCHEMES = ("env://", "file://", "vault://")


class Unresolved(Exception):
    """A reference whose target is absent; a fallback chain moves on to its next item."""


def is_reference(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(SCHEMES)


def resolve_one(ref: str, env: Mapping[str, str]) -> str:
    if ref.startswith("env://"):
        name = ref[len("env://") :]
        if name not in env:
            raise Unresolved(f"environment variable {name} is not set")
        return env[name]
    if ref.startswith("file://"):
        path = Path(ref[len("file://") :]).expanduser()
        try:
            return path.read_text(encoding="utf-8").strip()
        except FileNotFoundError as exc:
            raise Unresolved(f"file {path} does not exist") from exc
        except OSError as exc:
            raise ConfigError(f"cannot read {path} ({exc.strerror})") from exc
    raise ConfigError(
        f"{ref}: vault:// references are not supported yet",
        hint="use env:// or file:// until the Vault integration lands",
    )


def resolve_tree(
    data: Any, env: Mapping[str, str] | None = None, path: str = ""
) -> tuple[Any, set[str]]:
    """Resolve every reference in `data`; returns the new tree and the dotted paths resolved."""
    env = os.environ if env is None else env
    secrets: set[str] = set()
    if isinstance(data, dict):
        out: dict[str, Any] = {}
        for key, value in data.items():
            child = f"{path}.{key}" if path else str(key)
            out[key], found = resolve_tree(value, env, child)
            secrets |= found
        return out, secrets
    if is_reference(data):
        try:
            return resolve_one(data, env), {path}
        except Unresolved as exc:
            raise ConfigError(f"{path}: {data} cannot be resolved: {exc}") from exc
    if isinstance(data, list) and data and is_reference(data[0]):
        return resolve_chain(data, env, path), {path}
    return data, secrets


def resolve_chain(chain: list[Any], env: Mapping[str, str], path: str) -> Any:
    reasons = []
    for item in chain:
        if not is_reference(item):
            return item
        try:
            return resolve_one(item, env)
        except Unresolved as exc:
            reasons.append(f"{item}: {exc}")
    raise ConfigError(f"{path}: no item of the fallback chain resolves ({'; '.join(reasons)})")
