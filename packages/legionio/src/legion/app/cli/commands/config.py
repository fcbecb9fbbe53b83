"""`config show|path|validate`: the merged settings (redacted), where they come from, and checks."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from legion.app.cli.options import common_options, state
from legion.app.cli.output import emit

if TYPE_CHECKING:
    from rich.console import Console


@click.group()
@common_options
def config() -> None:
    """Show, locate and validate Legion's layered settings."""


def lookup(data: dict[str, Any], key: str) -> Any:
    from legion.core.errors import NotFoundError

    node: Any = data
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            raise NotFoundError(f"no setting {key!r}", hint="`legion config show` lists every key")
        node = node[part]
    return node


@config.command()
@click.argument("key", required=False)
@click.option("--sources", is_flag=True, help="Also show where each value came from.")
@common_options
def show(key: str | None, sources: bool) -> None:
    """The effective settings with secrets redacted; KEY (dotted) narrows it down."""
    settings = state().settings()
    data: Any = settings.redacted()
    if key:
        data = lookup(data, key)
    if sources:
        data = {"settings": data, "sources": settings.sources}

    def human(out: Console) -> None:
        import json

        out.print_json(json.dumps(data, default=str))

    emit(data, human)


@config.command()
@common_options
def path() -> None:
    """The home directory and the settings directories searched, lowest precedence first."""
    import os

    from legion.core.settings.layers import files_in, legion_home, settings_dirs

    home = legion_home()
    dirs = settings_dirs(home, Path.cwd(), os.environ) + state().config_dirs
    data: dict[str, Any] = {
        "home": str(home),
        "settings_dirs": [
            {"path": str(d), "exists": d.is_dir(), "files": [str(f) for f in files_in(d)]}
            for d in dirs
        ],
        "env_prefix": "LEGION_ (nested keys joined by __, e.g. LEGION_API__PORT)",
    }

    def human(out: Console) -> None:
        out.print(f"home: {data['home']}")
        for d in data["settings_dirs"]:
            mark = "" if d["exists"] else "  [dim](absent)[/]"
            out.print(f"  {d['path']}{mark}")
            for f in d["files"]:
                out.print(f"    {f}")
        out.print(f"environment: {data['env_prefix']}")

    emit(data, human)


@config.command()
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@common_options
def validate(files: tuple[Path, ...]) -> None:
    """Check the layered settings (or the given FILES on top of them); exit 2 on any problem."""
    import tempfile

    s = state()
    if files:
        import shutil

        with tempfile.TemporaryDirectory() as tmp:
            for i, f in enumerate(files):
                shutil.copy(f, Path(tmp) / f"{i:03d}-{f.name}")
            s.config_dirs = [*s.config_dirs, Path(tmp)]
            try:
                settings = s.settings()
            finally:
                s.config_dirs = s.config_dirs[:-1]
    else:
        settings = s.settings()
    data: dict[str, Any] = {"valid": True, "files": [str(f) for f in (files or settings.files)]}

    def human(out: Console) -> None:
        out.print(f"[green]settings are valid[/] ({len(data['files'])} file(s) read)")

    emit(data, human)
