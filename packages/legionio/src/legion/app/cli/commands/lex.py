"""`lex list|info|create`: what extensions are installed, what they offer, and new ones."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from legion.app.cli.options import common_options, state
from legion.app.cli.output import emit, table

if TYPE_CHECKING:
    from rich.console import Console

    from legion.core.catalog import Catalog
    from legion.core.extensions.discovery import ExtensionRecord

STATUS_STYLE = {"loaded": "green", "failed": "red", "disabled": "yellow", "skipped": "yellow"}


@click.group()
@common_options
def lex() -> None:
    """List, inspect and create extensions (lex-<name> packages)."""


def row(record: ExtensionRecord, catalog: Catalog) -> dict[str, Any]:
    data = record.to_dict()
    ext = record.extension
    data["runners"] = sorted(ext.runner_map) if ext else []
    data["functions"] = [c.address for c in catalog.registry.of_extension(record.name)]
    data["actors"] = len(ext.actors) if ext else 0
    return data


@lex.command("list")
@common_options
def list_() -> None:
    """Installed extensions with their status (loaded, failed, disabled, skipped)."""
    catalog = state().catalog()
    rows = [row(r, catalog) for r in catalog.records]

    def human(out: Console) -> None:
        if not rows:
            out.print("no extensions installed; create one with `legion lex create NAME`")
            return
        out.print(
            table(
                ["name", "version", "status", "runners", "functions", "reason"],
                [
                    [
                        r["name"],
                        r["version"],
                        f"[{STATUS_STYLE[r['status']]}]{r['status']}[/]",
                        ", ".join(r["runners"]),
                        len(r["functions"]),
                        r["reason"],
                    ]
                    for r in rows
                ],
            )
        )

    emit(rows, human)


@lex.command()
@click.argument("name")
@common_options
def info(name: str) -> None:
    """Runners, functions (signatures), actors, settings and status of extension NAME."""
    from legion.core.settings import redact

    catalog = state().catalog()
    record = catalog.record(name)
    data = row(record, catalog)
    ext = record.extension
    data["description"] = ext.description if ext else None
    data["functions"] = [c.describe() for c in catalog.registry.of_extension(name)]
    data["actors"] = [a.describe() for a in ext.actors] if ext else []
    data["settings"] = (
        redact(catalog.settings.lex_settings(name, dict(ext.settings))) if ext else {}
    )
    data["traceback"] = record.traceback

    def human(out: Console) -> None:
        style = STATUS_STYLE[data["status"]]
        out.print(
            f"[bold]{name}[/] {data['version'] or ''} ({data['distribution'] or '?'}) "
            f"[{style}]{data['status']}[/]"
        )
        if data["reason"]:
            out.print(f"  reason: {data['reason']}")
        if data["description"]:
            out.print(f"  {data['description']}")
        for fn in data["functions"]:
            flags = "" if fn["remote_invocable"] else "  [dim](local only)[/]"
            out.print(f"  [cyan]{fn['address']}[/]({fn['signature']}){flags}")
            if fn["description"]:
                out.print(f"      {fn['description']}")
        for actor in data["actors"]:
            every = f" every {actor['interval']}s" if actor["interval"] else ""
            out.print(f"  actor {actor['kind']}{every} → {name}.{actor['function']}")
        if data["settings"]:
            out.print("  settings: " + ", ".join(f"{k}={v!r}" for k, v in data["settings"].items()))
        if record.traceback:
            out.print("  (run with --json for the traceback)")

    emit(data, human)


@lex.command()
@click.argument("name")
@click.option(
    "--template",
    "-t",
    default="basic",
    show_default=True,
    help="basic, scheduled-task or service-integration.",
)
@click.option(
    "--path",
    "-p",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Directory to create lex-NAME in (default: the current one).",
)
@common_options
def create(name: str, template: str, path: Path | None) -> None:
    """Create a complete lex-NAME package whose tests pass as generated."""
    from legion.app.scaffold import create_extension

    created = create_extension(name, template=template, path=path)

    def human(out: Console) -> None:
        out.print(f"created [bold]{created.root}[/] ({len(created.files)} files)")
        out.print("next:")
        out.print(f"  pip install -e {created.root}")
        out.print("  legion lex list")
        out.print(f"  python -m pytest {created.root / 'tests'}")

    emit(created.to_dict(), human)
