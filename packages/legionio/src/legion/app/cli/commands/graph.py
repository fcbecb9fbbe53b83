"""`graph show`: the relationship graph as Mermaid or Graphviz dot."""

from __future__ import annotations

import json
from typing import Any

import click

from legion.app.cli.options import common_options, state
from legion.app.cli.output import emit


def node_id(address: str) -> str:
    return address.replace(".", "_")


def label(r: dict[str, Any]) -> str:
    parts = []
    if r["conditions"]:
        parts.append("if " + json.dumps(r["conditions"], separators=(",", ":"))[:60])
    if r["transformation"]:
        parts.append(f"transform:{r['engine']}")
    if r["delay"]:
        parts.append(f"delay {r['delay']:g}s")
    return "; ".join(parts)


def mermaid(rows: list[dict[str, Any]]) -> str:
    lines = ["flowchart LR"]
    for r in rows:
        text = label(r).replace('"', "'")
        arrow = f'-- "{text}" -->' if text else "-->"
        style = "" if r["active"] else " %% disabled"
        lines.append(
            f'    {node_id(r["trigger"])}["{r["trigger"]}"] {arrow} '
            f'{node_id(r["action"])}["{r["action"]}"]{style}'
        )
    return "\n".join(lines)


def dot(rows: list[dict[str, Any]]) -> str:
    lines = ["digraph legion {", "    rankdir=LR;"]
    for r in rows:
        attrs = [f'label="{label(r)}"'.replace("\\", "\\\\")] if label(r) else []
        if not r["active"]:
            attrs.append("style=dashed")
        suffix = f" [{', '.join(attrs)}]" if attrs else ""
        lines.append(f'    "{r["trigger"]}" -> "{r["action"]}"{suffix};')
    lines.append("}")
    return "\n".join(lines)


@click.group()
@common_options
def graph() -> None:
    """The graph that relationships draw between functions."""


@graph.command()
@click.option("--chain", help="Only this chain.")
@click.option(
    "--format", "fmt", type=click.Choice(["mermaid", "dot"]), default="mermaid", show_default=True
)
@common_options
def show(chain: str | None, fmt: str) -> None:
    """Print the relationship graph (paste Mermaid into docs, pipe dot into `dot -Tsvg`)."""
    rows = state().client().call("relationship.list", chain=chain)
    text = mermaid(rows) if fmt == "mermaid" else dot(rows)
    emit({"format": fmt, "graph": text, "edges": len(rows)}, lambda out: click.echo(text))
