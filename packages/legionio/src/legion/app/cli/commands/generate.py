"""`generate runner|actor` (alias `g`): grow the extension in the current directory."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from legion.app.cli.options import common_options
from legion.app.cli.output import emit

if TYPE_CHECKING:
    from rich.console import Console

    from legion.app.scaffold import CreatedFiles


@click.group()
@common_options
def generate() -> None:
    """Add a runner or an actor (with its test) to the extension you are in."""


def report(created: CreatedFiles) -> None:
    def human(out: Console) -> None:
        for f in created.files:
            out.print(f"  wrote {f}")

    emit(created.to_dict(), human)


EXT_DIR = click.option(
    "--extension-dir",
    "-C",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The extension's directory (default: the current one or a parent).",
)


@generate.command()
@click.argument("name")
@EXT_DIR
@common_options
def runner(name: str, extension_dir: Path | None) -> None:
    """Add runners/NAME.py with one function, its test, and register it."""
    from legion.app.scaffold import generate_runner

    report(generate_runner(name, extension_dir=extension_dir))


@generate.command()
@click.argument("name")
@click.option(
    "--kind",
    default="every",
    show_default=True,
    help="every, poll, once, loop, subscription or nothing.",
)
@EXT_DIR
@common_options
def actor(name: str, kind: str, extension_dir: Path | None) -> None:
    """Add an actor that triggers a new function NAME, with its test."""
    from legion.app.scaffold import generate_actor

    report(generate_actor(name, kind=kind, extension_dir=extension_dir))
