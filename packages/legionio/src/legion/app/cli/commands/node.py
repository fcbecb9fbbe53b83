"""`node list`: the nodes that have sent heartbeats (served by lex-node); `node id`: this node's
identity, the id to list in `crypt.trusted_nodes` of the nodes that share the cluster secret."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from legion.app.cli.options import common_options, state
from legion.app.cli.output import emit, table

if TYPE_CHECKING:
    from rich.console import Console


@click.group()
@common_options
def node() -> None:
    """Nodes of this Legion: this node's id, the ones that sent heartbeats."""


@node.command("id")
@common_options
def id_() -> None:
    """This node's id and public keys (created on first use under LEGION_HOME/keys).

    List the id in `crypt.trusted_nodes` of the nodes holding the cluster secret so they send it
    to this node, and theirs in this node's, so it accepts their answer.
    """
    import base64

    from legion.core.crypto.identity import identity_path, load_or_create_identity

    settings = state().settings()
    identity = load_or_create_identity(settings.home)
    data = {
        "node_id": identity.node_id,
        "verify_key": base64.b64encode(identity.verify_key).decode("ascii"),
        "public_key": base64.b64encode(identity.public_key).decode("ascii"),
        "key_file": str(identity_path(settings.home)),
        "share_secret": settings.crypt.share_secret,
        "trusted_nodes": list(settings.crypt.trusted_nodes),
    }

    def human(out: Console) -> None:
        out.print(identity.node_id, markup=False)
        out.print(f"signing key (Ed25519): {data['verify_key']}", markup=False)
        out.print(f"sealing key (X25519):  {data['public_key']}", markup=False)
        out.print(f"key file: {data['key_file']}", markup=False)
        out.print(
            "list this id in crypt.trusted_nodes of the nodes that share the cluster secret",
            style="dim",
            markup=False,
        )

    emit(data, human)


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
