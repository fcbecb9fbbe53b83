"""`task run|list|show|logs|cancel`: run functions as tasks and follow their chains."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import click

from legion.app.cli.options import common_options, state
from legion.app.cli.output import emit, table
from legion.app.cli.params import parse_json_object, parse_pairs

if TYPE_CHECKING:
    from rich.console import Console

STYLE = {
    "completed": "green",
    "failed": "red",
    "exception": "red",
    "running": "cyan",
    "queued": "blue",
    "delayed": "blue",
    "cancelled": "yellow",
    "expired": "yellow",
    "conditioner.failed": "yellow",
    "transformer.failed": "red",
}


def when(ts: float | None) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%H:%M:%S.%f")[:-3] if ts else ""


def styled(status: str) -> str:
    return f"[{STYLE.get(status, 'white')}]{status}[/]"


@click.group()
@common_options
def task() -> None:
    """Run functions as tasks; list, inspect, and cancel them."""


@task.command()
@click.argument("function")
@click.argument("pairs", nargs=-1, metavar="[KEY=VALUE]...")
@click.option("--payload", help="JSON object carried down the chain (inline or @file).")
@click.option("--wait", is_flag=True, help="Run the task and its whole chain to completion.")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.001),
    default=60.0,
    show_default=True,
    help="Seconds --wait waits for the chain.",
)
@click.option("--idempotency-key", help="Run at most once per key; a repeat returns the first.")
@common_options
def run(
    function: str,
    pairs: tuple[str, ...],
    payload: str | None,
    wait: bool,
    timeout: float,
    idempotency_key: str | None,
) -> None:
    """Run FUNCTION (ext.runner.function) with KEY=VALUE arguments (values parse as JSON)."""
    args = parse_pairs(pairs)
    payload_obj = parse_json_object(payload, "--payload")
    client = state().client(need_engine=wait)
    result = client.call(
        "task.run",
        function=function,
        args=args,
        payload=payload_obj,
        wait=wait,
        timeout=timeout,
        idempotency_key=idempotency_key,
    )

    def human(out: Console) -> None:
        out.print(f"task {result['task_id']} {styled(result['status'])}")
        if result["result"] is not None:
            import json

            out.print_json(json.dumps(result["result"], default=str))
        if result["error"]:
            out.print(f"[red]{result['error'].get('type')}: {result['error'].get('message')}[/]")
        if not wait and result["status"] == "queued" and client.via != "daemon":
            out.print(
                "[dim]no daemon runs: the task is queued for the next `legionio start`; "
                "--wait runs it now[/]"
            )

    emit(result, human)
    if wait and result["status"] != "completed":
        raise click.exceptions.Exit(1)


@task.command("list")
@click.option("--status", help="Only tasks with this status.")
@click.option("--function", help="Only tasks of this function.")
@click.option("--limit", type=click.IntRange(1, 1000), default=25, show_default=True)
@click.option("--offset", type=click.IntRange(0), default=0)
@common_options
def list_(status: str | None, function: str | None, limit: int, offset: int) -> None:
    """Recent tasks, newest first."""
    page = (
        state()
        .client()
        .call("task.list", status=status, function=function, limit=limit, offset=offset)
    )

    def human(out: Console) -> None:
        out.print(
            table(
                ["id", "function", "status", "created", "parent"],
                [
                    [
                        t["task_id"],
                        t["function"],
                        styled(t["status"]),
                        when(t["created_at"]),
                        t["parent_id"] or "",
                    ]
                    for t in page["tasks"]
                ],
            )
        )
        out.print(f"[dim]{len(page['tasks'])} of {page['total']}[/]")

    emit(page, human)


@task.command()
@click.argument("task_id")
@common_options
def show(task_id: str) -> None:
    """One task with its result, error, parent, master, children and log."""
    data: dict[str, Any] = state().client().call("task.show", task_id=task_id)

    def human(out: Console) -> None:
        import json

        out.print(f"task {data['task_id']} {styled(data['status'])}  {data['function']}")
        for key in ("parent_id", "master_id", "chain", "attempts"):
            if data.get(key):
                out.print(f"  {key}: {data[key]}")
        out.print(f"  args: {json.dumps(data['args'], default=str)}")
        if data["result"] is not None:
            out.print(f"  result: {json.dumps(data['result'], default=str)}")
        if data["error"]:
            out.print(
                f"  [red]error: {data['error'].get('type')}: {data['error'].get('message')}[/]"
            )
        for child in data["children"]:
            out.print(f"  → {child['task_id']} {child['function']} {styled(child['status'])}")
        for line in data["log"]:
            out.print(f"  [dim]{when(line['at'])}[/] {line['status']} {line['message'] or ''}")

    emit(data, human)


@task.command()
@click.argument("task_id")
@common_options
def logs(task_id: str) -> None:
    """The log lines of a task (one per status change)."""
    lines = state().client().call("task.logs", task_id=task_id)

    def human(out: Console) -> None:
        for line in lines:
            out.print(f"{when(line['at'])} {line['status']} {line['message'] or ''}")

    emit(lines, human)


@task.command()
@click.argument("task_id")
@common_options
def cancel(task_id: str) -> None:
    """Cancel a queued or delayed task."""
    data = state().client().call("task.cancel", task_id=task_id)
    emit(data, lambda out: out.print(f"task {task_id} {styled(data['status'])}"))
