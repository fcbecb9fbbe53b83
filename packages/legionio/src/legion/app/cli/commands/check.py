"""`legionio check`: connect to every configured component and say which answer, and how fast."""

from __future__ import annotations

import click

from legion.app.cli.options import common_options, secret_values, state
from legion.app.cli.output import emit

TIMEOUT = click.FloatRange(min=0, min_open=True, max=600)


@click.command()
@click.option(
    "--timeout",
    type=TIMEOUT,
    default=5.0,
    show_default=True,
    help="Seconds each component gets to answer; all are checked at once.",
)
@common_options
def check(timeout: float) -> None:
    """Database, cache, broker, Vault and spool: pass, fail or skip, with latency and a reason.

    Exits 0 when nothing failed, 1 when something did.
    """
    from legion.app.health import report
    from legion.app.health.components import check_components

    settings = state().settings()
    findings = check_components(settings, timeout)
    report.scrub(findings, secret_values(settings))
    emit([f.to_dict() for f in findings], lambda out: report.render(out, findings))
    code = report.exit_code(findings)
    if code:
        # SystemExit, not click's Exit: `run` (cli/main.py) drops the code of an Exit raised
        # under standalone_mode=False and would exit 0.
        raise SystemExit(code)
