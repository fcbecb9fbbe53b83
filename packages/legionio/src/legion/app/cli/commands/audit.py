"""`legion audit list|export|verify`: the hash-chained audit log of API calls and MCP tools."""

from __future__ import annotations

import csv
import io
import json
from typing import TYPE_CHECKING, Any

import click

from legion.app.cli.options import common_options, state
from legion.app.cli.output import emit
from legion.core.errors import UsageError

if TYPE_CHECKING:
    from rich.console import Console

COLUMNS = [
    "seq",
    "at",
    "request_id",
    "principal",
    "method",
    "path",
    "resource",
    "action",
    "decision",
    "rule",
    "status",
    "reason",
    "prev_hash",
    "hash",
]


def _since(value: str | None) -> float | None:
    from legion.app.security.timefmt import parse_since

    if value is None:
        return None
    try:
        return parse_since(value)
    except ValueError:
        raise UsageError(
            f"--since {value!r} is neither a duration nor an ISO time",
            hint="e.g. --since 15m, --since 2d, --since 2026-11-22T08:00:00",
        ) from None


def _rows(since: str | None, principal: str | None, limit: int | None) -> list[dict[str, Any]]:
    from legion.app.security.store_access import open_store
    from legion.core.store.audit import AuditStore

    start = _since(since)
    db = open_store(state().settings())
    try:
        return AuditStore(db).list(since=start, principal=principal, limit=limit)
    finally:
        db.dispose()


@click.group()
@common_options
def audit() -> None:
    """The audit log: every mutating API call, every denial, every MCP tool call."""


@audit.command(name="list")
@click.option("--since", default=None, help="A duration (15m, 2h, 7d) or an ISO time.")
@click.option("--principal", default=None, help="Only this principal (key:<id>, user:<sub>).")
@click.option("--limit", type=click.IntRange(1), default=100, show_default=True)
@common_options
def list_entries(since: str | None, principal: str | None, limit: int) -> None:
    """The newest entries, oldest first."""
    rows = _rows(since, principal, limit)

    def human(out: Console) -> None:
        from legion.app.cli.output import table
        from legion.app.security.timefmt import iso

        shown = [
            [
                r["seq"],
                iso(r["at"]),
                r["principal"],
                f"{r['method']} {r['path']}",
                f"{r['action'] or ''} {r['resource'] or ''}".strip(),
                r["decision"],
                r["status"],
                r["rule"] or r["reason"] or "",
            ]
            for r in rows
        ]
        headers = ["seq", "at", "principal", "call", "action", "decision", "status", "rule"]
        out.print(table(headers, shown))
        out.print(f"[dim]{len(rows)} entries[/]")

    emit(rows, human)


@audit.command()
@click.option(
    "--format", "fmt", type=click.Choice(["json", "csv"]), default="json", show_default=True
)
@click.option("--since", default=None, help="A duration (15m, 2h, 7d) or an ISO time.")
@click.option("--principal", default=None, help="Only this principal.")
@common_options
def export(fmt: str, since: str | None, principal: str | None) -> None:
    """Every entry (with its chain hashes) as JSON or CSV on stdout."""
    rows = _rows(since, principal, None)
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2, default=str, ensure_ascii=False))
        return
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    click.echo(buffer.getvalue(), nl=False)


@audit.command()
@common_options
@click.pass_context
def verify(ctx: click.Context) -> None:
    """Check the hash chain from the first entry; exit 1 naming the first bad one."""
    from legion.app.security.store_access import open_store
    from legion.core.store.audit import AuditStore

    db = open_store(state().settings())
    try:
        checked, problem = AuditStore(db).verify()
    finally:
        db.dispose()
    data: dict[str, Any] = {"ok": problem is None, "checked": checked, "first_bad": None}
    if problem is not None:
        data["first_bad"] = {"seq": problem.seq, "id": problem.id, "problem": problem.problem}

    def human(out: Console) -> None:
        if problem is None:
            out.print(f"audit log intact: {checked} entries, chain verified")
        else:
            out.print(
                f"[bold red]audit log chain broken[/] at entry {problem.seq} (id {problem.id}): "
                f"{problem.problem}; {checked} entries before it verify"
            )

    emit(data, human)
    if problem is not None:
        ctx.exit(1)
