"""How commands print: JSON with `--json`, rich tables and text otherwise; errors on stderr."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from legion.app.cli.options import state

if TYPE_CHECKING:
    from rich.console import Console


def console(stderr: bool = False) -> Console:
    from rich.console import Console

    no_color = state().color is False or "NO_COLOR" in os.environ
    return Console(stderr=stderr, no_color=no_color, highlight=False, soft_wrap=True)


def emit(data: Any, human: Callable[[Console], None] | None = None) -> None:
    """Print `data` as JSON when asked, else call the human renderer (or pretty-print)."""
    if state().json or human is None:
        click.echo(json.dumps(data, indent=2, default=str, ensure_ascii=False))
        return
    human(console())


def table(columns: list[str], rows: list[list[Any]], title: str | None = None) -> Any:
    from rich.table import Table

    t = Table(title=title, show_edge=False, header_style="bold")
    for column in columns:
        t.add_column(column, overflow="fold")
    for row in rows:
        t.add_row(*["" if v is None else str(v) for v in row])
    return t


def error(message: str, hint: str | None = None, code: str = "error", details: Any = None) -> None:
    """An error for a person (stderr) or, with `--json`, an error object on stdout."""
    if state().json:
        body: dict[str, Any] = {"code": code, "message": message}
        if hint:
            body["hint"] = hint
        if details is not None:
            body["details"] = details
        click.echo(json.dumps({"error": body}, indent=2, default=str))
        return
    from rich.markup import escape

    err = console(stderr=True)
    err.print(f"[bold red]error:[/] {escape(message)}", markup=True, highlight=False)
    if hint:
        err.print(f"[dim]hint:[/] {escape(hint)}", markup=True, highlight=False)
    sys.stderr.flush()
