"""`relationship create|list|show|delete|enable|disable`: trigger → action links of a chain."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from legion.app.cli.options import common_options, state
from legion.app.cli.output import emit, table
from legion.app.cli.params import parse_json_object, read_text_option

if TYPE_CHECKING:
    from rich.console import Console


def describe(r: dict[str, Any]) -> list[Any]:
    extras = []
    if r["conditions"]:
        extras.append("conditions")
    if r["transformation"]:
        extras.append(f"transform ({r['engine']})")
    if r["delay"]:
        extras.append(f"delay {r['delay']}s")
    return [
        r["id"],
        r["trigger"],
        r["action"],
        r["chain"] or "",
        ", ".join(extras),
        "yes" if r["active"] else "no",
    ]


COLUMNS = ["id", "trigger", "action", "chain", "with", "active"]


@click.group()
@common_options
def relationship() -> None:
    """Link a trigger function to an action: when the trigger completes, the action runs."""


@relationship.command()
@click.option("--trigger", required=True, help="ext.runner.function whose completion triggers.")
@click.option("--action", required=True, help="ext.runner.function to run next.")
@click.option(
    "--conditions",
    help='JSON rules, e.g. {"all":[{"fact":"results.code",'
    '"operator":"equal","value":200}]} (inline or @file).',
)
@click.option("--transformation", help="Template rendering the action's arguments (or @file).")
@click.option(
    "--engine", type=click.Choice(["jinja", "jsonpath"]), default="jinja", show_default=True
)
@click.option("--delay", type=click.FloatRange(min=0), default=0.0, help="Seconds to wait.")
@click.option("--chain", help="Chain name (created if new).")
@click.option("--name", help="A label for people.")
@common_options
def create(
    trigger: str,
    action: str,
    conditions: str | None,
    transformation: str | None,
    engine: str,
    delay: float,
    chain: str | None,
    name: str | None,
) -> None:
    """Create a relationship; bad rules or templates are rejected with their position."""
    data = (
        state()
        .client()
        .call(
            "relationship.create",
            trigger=trigger,
            action=action,
            conditions=parse_json_object(conditions, "--conditions"),
            transformation=read_text_option(transformation, "--transformation"),
            engine=engine,
            delay=delay,
            chain=chain,
            name=name,
        )
    )
    emit(data, lambda out: out.print(f"relationship {data['id']}: {trigger} → {action}"))


@relationship.command("list")
@click.option("--chain", help="Only this chain's relationships.")
@common_options
def list_(chain: str | None) -> None:
    """Every relationship."""
    rows = state().client().call("relationship.list", chain=chain)

    def human(out: Console) -> None:
        out.print(table(COLUMNS, [describe(r) for r in rows]))

    emit(rows, human)


@relationship.command()
@click.argument("relationship_id", type=int)
@common_options
def show(relationship_id: int) -> None:
    """One relationship with its conditions and transformation."""
    data = state().client().call("relationship.show", relationship_id=relationship_id)

    def human(out: Console) -> None:
        import json

        out.print(table(COLUMNS, [describe(data)]))
        if data["conditions"]:
            out.print("conditions:")
            out.print_json(json.dumps(data["conditions"]))
        if data["transformation"]:
            out.print(f"transformation ({data['engine']}):\n{data['transformation']}")

    emit(data, human)


@relationship.command()
@click.argument("relationship_id", type=int)
@common_options
def delete(relationship_id: int) -> None:
    """Delete a relationship."""
    data = state().client().call("relationship.delete", relationship_id=relationship_id)
    emit(data, lambda out: out.print(f"deleted relationship {relationship_id}"))


@relationship.command()
@click.argument("relationship_id", type=int)
@common_options
def enable(relationship_id: int) -> None:
    """Make a relationship fire again."""
    data = (
        state().client().call("relationship.activate", relationship_id=relationship_id, active=True)
    )
    emit(data, lambda out: out.print(f"relationship {relationship_id} enabled"))


@relationship.command()
@click.argument("relationship_id", type=int)
@common_options
def disable(relationship_id: int) -> None:
    """Stop a relationship from firing without deleting it."""
    data = (
        state()
        .client()
        .call("relationship.activate", relationship_id=relationship_id, active=False)
    )
    emit(data, lambda out: out.print(f"relationship {relationship_id} disabled"))
