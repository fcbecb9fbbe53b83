"""`chain create|list|show|delete`: named groups of relationships."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from legion.app.cli.commands.relationship import COLUMNS, describe
from legion.app.cli.options import common_options, state
from legion.app.cli.output import emit, table

if TYPE_CHECKING:
    from rich.console import Console


@click.group()
@common_options
def chain() -> None:
    """Named chains of relationships."""


@chain.command()
@click.argument("name")
@click.option("--description", help="What the chain is for.")
@common_options
def create(name: str, description: str | None) -> None:
    """Create an empty chain (relationship create --chain also creates one)."""
    data = state().client().call("chain.create", name=name, description=description)
    emit(data, lambda out: out.print(f"chain {name} created"))


@chain.command("list")
@common_options
def list_() -> None:
    """Every chain with its number of relationships."""
    rows = state().client().call("chain.list")
    emit(
        rows,
        lambda out: out.print(
            table(
                ["name", "relationships", "active", "description"],
                [
                    [
                        r["name"],
                        r["relationships"],
                        "yes" if r["active"] else "no",
                        r["description"] or "",
                    ]
                    for r in rows
                ],
            )
        ),
    )


@chain.command()
@click.argument("name")
@common_options
def show(name: str) -> None:
    """A chain and its relationships."""
    data = state().client().call("chain.show", name=name)

    def human(out: Console) -> None:
        out.print(f"chain [bold]{name}[/] {data['description'] or ''}")
        out.print(table(COLUMNS, [describe(r) for r in data["relationships"]]))

    emit(data, human)


@chain.command()
@click.argument("name")
@common_options
def delete(name: str) -> None:
    """Delete a chain and its relationships."""
    data = state().client().call("chain.delete", name=name)
    emit(
        data,
        lambda out: out.print(
            f"deleted chain {name} and {data['relationships_deleted']} relationship(s)"
        ),
    )
