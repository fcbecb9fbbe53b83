"""Options every command accepts (`--json`, `--no-color`, `--version`) and the state they set."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from legion.app.daemon.client import Client
    from legion.core.catalog import Catalog
    from legion.core.settings import Settings

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class CliState:
    """Per-invocation state; settings and the catalog are built on first use only."""

    json: bool = False
    color: bool | None = None
    log_level: str | None = None
    log_format: str | None = None
    config_dirs: list[Path] = field(default_factory=list)
    overrides: dict[str, Any] = field(default_factory=dict)
    _settings: Settings | None = None
    _catalog: Catalog | None = None
    _client: Client | None = None

    def settings(self) -> Settings:
        if self._settings is None:
            from legion.core.logging import setup_logging
            from legion.core.settings import load_settings

            overrides = dict(self.overrides)
            if self.log_level:
                overrides["log.level"] = self.log_level.upper()
            if self.log_format:
                overrides["log.format"] = self.log_format
            self._settings = load_settings(overrides, config_dirs=self.config_dirs)
            setup_logging(
                self._settings.log.level,
                self._settings.log.format,
                color=self.color,
                secrets=secret_values(self._settings),
            )
        return self._settings

    def client(self, *, need_engine: bool = False) -> Client:
        """The running daemon's socket, or an in-process runtime on the same store."""
        if self._client is None:
            from legion.app.daemon.client import connect

            self._client = connect(self.settings(), self.catalog, need_engine=need_engine)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def catalog(self) -> Catalog:
        if self._catalog is None:
            from legion.core.catalog import Catalog
            from legion.core.extensions.components import LITE_COMPONENTS

            self._catalog = Catalog.load(self.settings(), LITE_COMPONENTS)
        return self._catalog


def secret_values(settings: Settings) -> list[str]:
    """Values that must never appear in logs: whatever redaction hides in `config show`."""
    from legion.core.settings import REDACTED

    plain = settings.model_dump(mode="python")
    shown = settings.redacted()
    found: list[str] = []

    def walk(a: Any, b: Any) -> None:
        if isinstance(a, dict) and isinstance(b, dict):
            for key in a:
                walk(a[key], b.get(key))
        elif b == REDACTED and a is not None:
            value = a.get_secret_value() if hasattr(a, "get_secret_value") else a
            found.append(str(value))

    walk(plain, shown)
    return found


_state = CliState()


def state() -> CliState:
    """The state of the running invocation (one per process; `reset_state` starts a new one)."""
    return _state


def reset_state() -> CliState:
    global _state
    _state = CliState()
    return _state


def _set_json(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        state().json = True


def _set_no_color(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        state().color = False


def _show_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from legion.app._version import __version__

    name = ctx.find_root().info_name or "legion"
    if state().json or "--json" in _argv():
        click.echo(f'{{"name": "{name}", "version": "{__version__}"}}')
    else:
        click.echo(f"{name} {__version__}")
    ctx.exit(0)


def _argv() -> list[str]:
    import sys

    return sys.argv[1:]


def common_options(func: F) -> F:
    """`--json`, `--no-color` and `--version`, accepted by every group and command."""
    func = click.option(
        "--version",
        is_flag=True,
        expose_value=False,
        is_eager=True,
        callback=_show_version,
        help="Show the version and exit.",
    )(func)
    func = click.option(
        "--no-color",
        is_flag=True,
        expose_value=False,
        is_eager=True,
        callback=_set_no_color,
        help="Plain output without colours.",
    )(func)
    func = click.option(
        "--json",
        "json_",
        is_flag=True,
        expose_value=False,
        is_eager=True,
        callback=_set_json,
        help="Machine-readable JSON output.",
    )(func)
    return func
