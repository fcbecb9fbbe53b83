"""`legion do "free text"`: find the function the words mean and run it when the match is clear.

Tier 0 (legion-mcp's intent index: exact address or BM25 over names and docstrings) decides
when it can; otherwise, with an LLM configured (`llm.url`, e.g. a `legion-llm serve` gateway),
tier 1 lets the model pick among the best lexical candidates. When neither is sure the best
candidates are listed and nothing runs (exit 0).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from legion.app.cli.options import common_options, state
from legion.app.cli.output import emit, table

if TYPE_CHECKING:
    from rich.console import Console

LLM_NOTE = "llm.enabled is set but llm.url is not: the LLM tier of `do` is off (tier 0 only)"


@click.command()
@click.argument("words", nargs=-1, required=True, metavar='"TEXT"')
@click.option("--yes", is_flag=True, help="Run the best candidate even without a clear winner.")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.001),
    default=60.0,
    show_default=True,
    help="Seconds to wait for the task.",
)
@common_options
def do(words: tuple[str, ...], yes: bool, timeout: float) -> None:
    """Say what you want, e.g. `legion do "run a ping"` or `legion do ping message=hi`."""
    from legion.core.errors import UsageError
    from legion.mcp.intent import resolve
    from legion.mcp.intent_llm import LlmEndpoint

    text = " ".join(words).strip()
    if not text:
        raise UsageError('say what to do, e.g. legion do "run a ping"')
    s = state()
    llm_settings = s.settings().llm
    registry = s.catalog().registry
    intent = resolve(text, registry, llm=LlmEndpoint.from_settings(llm_settings))
    chosen = intent.chosen
    guessed = False
    if chosen is None and yes and intent.candidates and not intent.candidates[0].missing:
        chosen, guessed = intent.candidates[0].address, True
    data: dict[str, Any] = intent.model_dump()
    data.update(chosen=chosen, guessed=guessed, run=None)
    if llm_settings.enabled and not llm_settings.url:
        data["note"] = LLM_NOTE
    if chosen is not None:
        args = registry.get(chosen).validate(intent.args)
        client = s.client(need_engine=True)
        data["via"] = client.via
        data["run"] = client.call(
            "task.run", function=chosen, args=args, wait=True, timeout=timeout
        )

    def human(out: Console) -> None:
        import json

        if data.get("note"):
            out.print(f"[dim]{data['note']}[/]")
        if chosen is None:
            out.print(f"nothing run: {intent.reason}")
            if intent.candidates:
                rows = [
                    [c.address, f"{c.score:g}", ", ".join(c.missing), c.description[:70]]
                    for c in intent.candidates
                ]
                out.print(table(["candidate", "score", "needs", "description"], rows))
                out.print(f"[dim]run one: legion task run {intent.candidates[0].address} ...[/]")
            return
        if guessed:
            why = f"best guess (--yes); {intent.reason}"
        else:
            why = f"tier {intent.tier}: {intent.reason}"
        run = data["run"]
        out.print(f"→ {chosen} ({why}): task {run['task_id']} {run['status']}")
        if run["result"] is not None:
            out.print_json(json.dumps(run["result"], default=str))
        if run["error"]:
            out.print(f"[red]{run['error'].get('type')}: {run['error'].get('message')}[/]")

    emit(data, human)
    if data["run"] is not None and data["run"]["status"] != "completed":
        raise click.exceptions.Exit(1)
