"""`legion doctor`: everything `check` does plus this node's own files, with `--fix` for what is
safe to repair (create directories, tighten modes, remove stale daemon files, migrate SQLite)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from legion.app.cli.commands.check import TIMEOUT
from legion.app.cli.options import common_options, secret_values, state
from legion.app.cli.output import emit

if TYPE_CHECKING:
    from rich.console import Console

    from legion.app.health.report import Finding
    from legion.core.settings import Settings


@click.command()
@click.option("--fix", is_flag=True, help="Repair what is safe to repair and say what was done.")
@click.option(
    "--timeout",
    type=TIMEOUT,
    default=5.0,
    show_default=True,
    help="Seconds each network component gets to answer.",
)
@common_options
def doctor(fix: bool, timeout: float) -> None:
    """Python, settings files, LEGION_HOME, daemon files, extensions, components, migrations.

    Exits 1 when a failure remains (after `--fix`, if given); warnings do not fail.
    """
    from legion.app.health import report

    findings, settings = diagnose(timeout)
    if fix:
        report.apply_repairs(findings)
    if settings is not None:
        report.scrub(findings, secret_values(settings))

    def human(out: Console) -> None:
        report.render(out, findings)
        repairable = sum(f.repair is not None and f.status in ("fail", "warn") for f in findings)
        if repairable:
            out.print(f"`legion doctor --fix` repairs {repairable} of these")

    emit([f.to_dict() for f in findings], human)
    code = report.exit_code(findings)
    if code:
        # SystemExit, not click's Exit: `run` (cli/main.py) drops the code of an Exit raised
        # under standalone_mode=False and would exit 0.
        raise SystemExit(code)


def diagnose(timeout: float) -> tuple[list[Finding], Settings | None]:
    """Every finding, local files first; what needs settings is skipped when they do not load."""
    from legion.app.health import extensions, permissions, pid_files, python, settings_files
    from legion.app.health.components import component_checks
    from legion.app.health.report import Finding
    from legion.app.health.runner import guarded, guarded_many, run_concurrently
    from legion.app.health.spool import spool_base
    from legion.core.settings.layers import legion_home, settings_dirs

    s = state()
    dirs = settings_dirs(legion_home(), Path.cwd(), os.environ) + s.config_dirs
    findings = [python.check()]
    found, settings = settings_files.check(dirs, s.settings)
    findings += found
    home = settings.home if settings is not None else legion_home()
    spool_dir = spool_base(settings) if settings is not None else home / "spool"
    findings += guarded_many("home", lambda: permissions.check(home, spool_dir, dirs))
    findings.append(guarded("daemon", lambda: pid_files.check(home)))
    if settings is None:
        skipped = ("extensions", "database", "cache", "broker", "vault", "spool")
        findings += [Finding(name, "skip", "the settings do not load") for name in skipped]
        return findings, None
    findings += guarded_many("extensions", lambda: extensions.check(s.catalog))
    findings += run_concurrently(component_checks(settings, timeout), timeout)
    return findings, settings
