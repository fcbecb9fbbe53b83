"""`legion-llm cost …`: what the gateway spent, read from its ledger."""

from __future__ import annotations

import importlib
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any, NoReturn

import click

from legion.llm.ledger.schema import safe_url
from legion.llm.ledger.summary import GROUPINGS, LedgerNotFound, LedgerUnavailable, summary

_SPAN = re.compile(r"^\s*(\d+)\s*([mhdw])\s*$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """`7d`, `12h`, `30m`, `2w` back from now, or an ISO date/time (UTC unless it says)."""
    match = _SPAN.match(text)
    if match:
        span = timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
        return (now or datetime.now(UTC)) - span
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"--since {text!r} is neither a span (7d, 12h, 30m, 2w) nor an ISO date "
            "(2025-01-31 or 2025-01-31T12:00)"
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _fail(message: str, code: int = 2) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    raise click.exceptions.Exit(code)


def _ledger_url_from_config(path: str) -> str:
    # The config loader is optional at import time: only `--config` needs it.
    try:
        module = importlib.import_module("legion.llm.config")
    except ImportError:
        module = None
    load_config = getattr(module, "load_config", None)
    if load_config is None:
        _fail("this install cannot read gateway configs yet; pass the ledger with --db URL")
    try:
        config = load_config(path)
    except Exception as exc:
        _fail(f"cannot read config {path}: {exc}; fix it or pass the ledger with --db URL")
    url = getattr(getattr(config, "ledger", None), "url", None)
    if not url:
        _fail(f"config {path} names no ledger (ledger.url); add one or pass --db URL")
    return str(url)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cost() -> None:
    """What the gateway spent, from its cost ledger."""


@cost.command("summary")
@click.option(
    "--by",
    "by",
    type=click.Choice(GROUPINGS),
    default="model",
    show_default=True,
    help="Group totals by caller key, model, UTC day or provider.",
)
@click.option("--since", "since_text", metavar="7d|ISO", help="Only requests since then.")
@click.option("--db", "db_url", metavar="URL", help="Ledger URL (sqlite:///path, postgresql://…).")
@click.option(
    "--config",
    "config_path",
    metavar="FILE",
    help="Gateway config to read the ledger URL from.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def summary_command(
    by: str,
    since_text: str | None,
    db_url: str | None,
    config_path: str | None,
    as_json: bool,
) -> None:
    """Requests, tokens and cost per key, model, day or provider.

    `unpriced` counts requests whose deployment has no prices: their cost is not in `cost $`.
    """
    if db_url and config_path:
        _fail("pass either --db or --config, not both")
    if not db_url and not config_path:
        _fail("no ledger given; pass --db URL (sqlite:///path/ledger.db) or --config FILE")
    since = None
    if since_text is not None:
        try:
            since = parse_since(since_text)
        except ValueError as exc:
            _fail(str(exc))
    url = db_url or _ledger_url_from_config(str(config_path))
    try:
        rows = summary(url, by, since)  # type: ignore[arg-type]  # click.Choice checked it
    except LedgerNotFound as exc:
        _fail(f"{exc}; start the gateway first or pass --db")
    except LedgerUnavailable as exc:
        _fail(f"{exc}; check that the database is up", code=1)
    except Exception as exc:  # a malformed URL, an unknown driver
        _fail(f"cannot open ledger {safe_url(url)}: {exc}; pass a URL like sqlite:///path")
    if as_json:
        click.echo(json.dumps({"by": by, "since": since and since.isoformat(), "rows": rows}))
        return
    _print_table(by, since, rows)


COLUMNS = ("requests", "attempts", "errors", "in tok", "out tok", "cost $", "unpriced", "p50 ms")


def _cells(by: str, row: dict[str, Any]) -> list[str]:
    p50 = row["p50_latency_ms"]
    return [
        "-" if row[by] is None else str(row[by]),
        str(row["requests"]),
        str(row["attempts"]),
        str(row["errors"]),
        f"{row['input_tokens']:,}",
        f"{row['output_tokens']:,}",
        f"{row['cost_usd']:.4f}",
        str(row["unknown_cost_requests"]),
        "-" if p50 is None else f"{p50:.0f}",
    ]


def _print_table(by: str, since: datetime | None, rows: list[dict[str, Any]]) -> None:
    if not rows:
        click.echo(f"No requests in the ledger{' since then' if since else ''}.")
        return
    title = f"Cost by {by}" + (f" since {since:%Y-%m-%d %H:%M} UTC" if since else "")
    header = [by, *COLUMNS]
    body = [_cells(by, row) for row in rows]
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:  # rich is optional here: fall back to aligned plain text
        widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]
        click.echo(title)
        for line in [header, *body]:
            click.echo(
                "  ".join(
                    cell.rjust(w) if i else cell.ljust(w)
                    for i, (cell, w) in enumerate(zip(line, widths, strict=True))
                )
            )
        return
    table = Table(title=title)
    for i, name in enumerate(header):
        table.add_column(name, justify="right" if i else "left")
    for cells in body:
        table.add_row(*cells)
    Console().print(table)
