"""The settings layers, lowest precedence first: files in each settings directory, then the
`LEGION_*` environment, then CLI flags. Each layer is a plain nested dict plus a source label."""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from legion.core.errors import ConfigError
from legion.core.settings.merge import set_path

ENV_PREFIX = "LEGION_"
SYSTEM_DIR = Path("/etc/legionio/settings")
# Environment variables that are not settings keys (read elsewhere or by tests).
NON_SETTINGS_ENV = frozenset({"LEGION_SETTINGS_DIRS", "LEGION_REQUIRE_SERVICES", "LEGION_DEBUG"})


@dataclass(frozen=True)
class Layer:
    source: str
    data: dict[str, Any]


def legion_home(env: Mapping[str, str] | None = None) -> Path:
    """`LEGION_HOME`, else `~/.legionio`: where settings, database, spool and sockets live."""
    env = os.environ if env is None else env
    raw = env.get("LEGION_HOME")
    return Path(raw).expanduser() if raw else Path.home() / ".legionio"


def settings_dirs(home: Path, cwd: Path, env: Mapping[str, str]) -> list[Path]:
    """Directories searched for settings files; `LEGION_SETTINGS_DIRS` replaces the default list."""
    raw = env.get("LEGION_SETTINGS_DIRS")
    if raw:
        return [Path(p).expanduser() for p in raw.split(os.pathsep) if p]
    return [SYSTEM_DIR, home / "settings", cwd / "settings"]


def files_in(directory: Path) -> list[Path]:
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if p.suffix in (".json", ".toml") and p.is_file())


def read_file(path: Path) -> dict[str, Any]:
    """Parse one JSON or TOML settings file; a parse error names the file and the position."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read settings file ({exc.strerror})") from exc
    try:
        data = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{path}:{exc.lineno}:{exc.colno}: invalid JSON ({exc.msg})",
            hint="fix the file or move it out of the settings directory",
        ) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML ({exc})", hint="fix the file") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a settings file must hold an object at the top level")
    return data


def file_layers(dirs: list[Path]) -> Iterator[Layer]:
    for directory in dirs:
        for path in files_in(directory):
            yield Layer(str(path), read_file(path))


def parse_env_value(raw: str) -> Any:
    """Values parse as JSON when they can (`5`, `true`, `["a"]`), else stay strings."""
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def env_layers(env: Mapping[str, str]) -> Iterator[Layer]:
    """`LEGION_API__AUTH__LOOPBACK_OPEN=true` → `api.auth.loopback_open`; one layer per variable."""
    for name in sorted(env):
        if not name.startswith(ENV_PREFIX) or name in NON_SETTINGS_ENV:
            continue
        value = env[name]
        if name == "LEGION_DISABLED_EXTENSIONS":
            names = [n.strip() for n in value.split(",") if n.strip()]
            yield Layer(f"env {name}", {"extensions": {"disabled": names}})
            continue
        parts = [p.lower() for p in name[len(ENV_PREFIX) :].split("__")]
        if not all(parts):
            raise ConfigError(f"env {name}: empty key segment", hint="join keys with exactly '__'")
        data: dict[str, Any] = {}
        set_path(data, parts, value if parts == ["home"] else parse_env_value(value))
        yield Layer(f"env {name}", data)


def dotted_overrides(pairs: Mapping[str, Any], source: str = "cli") -> Layer:
    """CLI-style overrides `{"api.port": 5000}` as a layer."""
    data: dict[str, Any] = {}
    for key, value in pairs.items():
        set_path(data, key.split("."), value)
    return Layer(source, data)
