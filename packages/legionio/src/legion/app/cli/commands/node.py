"""`node list`: the nodes that have sent heartbeats (served by lex-node)."""

from __future__ import annotations

import click

from legion.app.cli.options import common_options, state
from legion.app.cli.output import emit, table


@click.group()
@common_options
def node() -> None:
    """Nodes of this Legion: the ones that sent heartbeats."""


@node.command("list")
@common_options
def list_() -> None:
    """Known nodes and whether they are alive."""
    rows = state().client().call("function.call", function="node.registry.list", args={})
    emit(
        rows,
        lambda out: out.print(
            table(
                ["name", "version", "mode", "pid", "alive", "last seen"],
                [
                    [
                        r.get("name"),
                        r.get("version"),
                        r.get("mode"),
                        r.get("pid"),
                        "yes" if r.get("alive") else "no",
                        r.get("last_seen"),
                    ]
                    for r in rows
                ],
            )
        ),
    )
