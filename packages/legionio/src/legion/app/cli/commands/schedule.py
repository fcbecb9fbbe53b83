"""`schedule add|list|remove`: cron and interval schedules (served by lex-scheduler)."""

from __future__ import annotations

from typing import Any

import click

from legion.app.cli.options import common_options, state
from legion.app.cli.output import emit, table
from legion.app.cli.params import parse_json_object, parse_pairs
from legion.core.errors import UsageError


@click.group()
@common_options
def schedule() -> None:
    """Run functions on a cron expression or every N seconds (one node schedules at a time)."""


@schedule.command(context_settings={"ignore_unknown_options": True})
@click.argument("name")
@click.argument("rest", nargs=-1, metavar='["CRON"] EXT.RUNNER.FN [KEY=VALUE]...')
@click.option("--every", type=click.FloatRange(min=0.001), help="Interval in seconds (no CRON).")
@click.option("--payload", help="JSON object handed to the task's chain.")
@common_options
def add(name: str, rest: tuple[str, ...], every: float | None, payload: str | None) -> None:
    """Add schedule NAME: `add nightly "0 3 * * *" tasker.housekeeping.purge days=7`."""
    parts = list(rest)
    cron = None
    if every is None:
        if len(parts) < 2:
            raise UsageError(
                "give a CRON expression and a function, or --every SECONDS and a function",
                hint='e.g. legion schedule add nightly "0 3 * * *" ping.ping.ping',
            )
        cron = parts.pop(0)
    if not parts:
        raise UsageError("missing the function to schedule (ext.runner.function)")
    function = parts.pop(0)
    params: dict[str, Any] = {
        "name": name,
        "function": function,
        "cron": cron,
        "every": every,
        "args": parse_pairs(parts),
        "payload": parse_json_object(payload, "--payload"),
    }
    data = state().client().call("function.call", function="scheduler.schedule.add", args=params)
    emit(
        data,
        lambda out: out.print(
            f"schedule {name} added: {function} {'cron ' + cron if cron else f'every {every}s'}"
        ),
    )


@schedule.command("list")
@common_options
def list_() -> None:
    """Every schedule with its last and next run."""
    rows = state().client().call("function.call", function="scheduler.schedule.list", args={})
    emit(
        rows,
        lambda out: out.print(
            table(
                ["name", "function", "when", "last run", "next run", "active"],
                [
                    [
                        r.get("name"),
                        r.get("function"),
                        r.get("cron") or f"every {r.get('interval')}s",
                        r.get("last_run"),
                        r.get("next_run"),
                        "yes" if r.get("active", True) else "no",
                    ]
                    for r in rows
                ],
            )
        ),
    )


@schedule.command()
@click.argument("name")
@common_options
def remove(name: str) -> None:
    """Remove schedule NAME."""
    data = (
        state()
        .client()
        .call("function.call", function="scheduler.schedule.remove", args={"name": name})
    )
    emit(data, lambda out: out.print(f"schedule {name} removed"))
