"""Builds `Settings` from every layer: files < environment < CLI flags, then resolves references."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from legion.core.errors import ConfigError
from legion.core.settings.layers import (
    Layer,
    dotted_overrides,
    env_layers,
    file_layers,
    legion_home,
    settings_dirs,
)
from legion.core.settings.merge import deep_merge, leaf_paths
from legion.core.settings.model import Settings
from legion.core.settings.references import resolve_tree


def load_settings(
    overrides: Mapping[str, Any] | None = None,
    *,
    config_dirs: list[Path] | None = None,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Settings:
    """Load, merge, resolve and validate; every error names its source (file, env var or flag)."""
    env = dict(os.environ if env is None else env)
    cwd = Path.cwd() if cwd is None else cwd
    home = legion_home(env)
    overrides = dict(overrides or {})
    if "home" in overrides:
        home = Path(str(overrides["home"])).expanduser()
    dirs = settings_dirs(home, cwd, env) + list(config_dirs or [])

    layers: list[Layer] = [Layer("default", {"home": str(home)})]
    layers += list(file_layers(dirs))
    layers += list(env_layers(env))
    if overrides:
        layers.append(dotted_overrides(overrides))

    merged: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for layer in layers:
        merged = deep_merge(merged, layer.data)
        for path in leaf_paths(layer.data):
            sources[path] = layer.source
    merged["home"] = str(home)

    resolved, secret_paths = resolve_tree(merged, env)
    try:
        settings = Settings.model_validate(resolved)
    except ValidationError as exc:
        raise ConfigError(
            "invalid settings:\n" + "\n".join(describe_errors(exc, sources)),
            hint="fix the named keys; `legion config path` lists the files read",
            details=[{"key": k, "source": s, "problem": p} for k, s, p in error_rows(exc, sources)],
        ) from None
    settings._sources = sources
    settings._secret_paths = frozenset(secret_paths)
    settings._files = tuple(Path(layer.source) for layer in layers if layer.source.startswith("/"))
    return settings


def error_rows(exc: ValidationError, sources: dict[str, str]) -> list[tuple[str, str, str]]:
    rows = []
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"])
        source = sources.get(key) or next(
            (s for k, s in sources.items() if k.startswith(key + ".") or key.startswith(k + ".")),
            "default",
        )
        problem = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
        rows.append((key, source, problem))
    return rows


def describe_errors(exc: ValidationError, sources: dict[str, str]) -> list[str]:
    return [
        f"  {key} (from {source}): {problem}" for key, source, problem in error_rows(exc, sources)
    ]
