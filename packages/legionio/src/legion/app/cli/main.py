"""Entry points of `legion` and `legionio`. Only click is imported here: subcommands load lazily."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from legion.app.cli.lazy import LazyGroup
from legion.app.cli.options import common_options, reset_state
from legion.app.cli.options import state as current_state

COMMANDS = "legion.app.cli.commands"
SHARED: dict[str, tuple[str, str]] = {
    "audit": (f"{COMMANDS}.audit:audit", "The audit log: list, export, verify its chain."),
    "auth": (f"{COMMANDS}.auth:auth", "API keys and tokens: create, list, revoke, mint."),
    "chain": (f"{COMMANDS}.chain:chain", "Named chains of relationships."),
    "config": (f"{COMMANDS}.config:config", "Show, locate and validate settings."),
    "do": (f"{COMMANDS}.do:do", "Say what you want in words; Legion finds the function."),
    "doctor": (f"{COMMANDS}.doctor:doctor", "Diagnose this node; --fix repairs what is safe."),
    "graph": (f"{COMMANDS}.graph:graph", "The relationship graph as Mermaid or dot."),
    "lex": (f"{COMMANDS}.lex:lex", "List, inspect and create extensions."),
    "llm": ("legion.llm.cli:main", "The LLM gateway: serve it, read its cost ledger, make keys."),
    "mcp": (f"{COMMANDS}.mcp:mcp", "Serve Legion to agents over MCP (stdio or HTTP)."),
    "node": (f"{COMMANDS}.node:node", "This node's id; the nodes that sent heartbeats."),
    "rbac": ("legion.rbac.cli:main", "Roles and policies: list roles, check a decision."),
    "relationship": (f"{COMMANDS}.relationship:relationship", "Trigger → action links."),
    "schedule": (f"{COMMANDS}.schedule:schedule", "Cron and interval schedules."),
    "status": (f"{COMMANDS}.start:status", "Whether a daemon runs, and what the node holds."),
    "task": (f"{COMMANDS}.task:task", "Run functions as tasks; inspect and cancel them."),
}
LEGION: dict[str, tuple[str, str]] = {
    **SHARED,
    "generate": (f"{COMMANDS}.generate:generate", "Add a runner or actor to an extension."),
}
LEGIONIO: dict[str, tuple[str, str]] = {
    **SHARED,
    "check": (f"{COMMANDS}.check:check", "Connect to every configured component and report."),
    "db": (f"{COMMANDS}.db:db", "The store's schema migrations."),
    "start": (f"{COMMANDS}.start:start", "Start the engine and its REST API."),
    "stop": (f"{COMMANDS}.start:stop", "Stop the daemon."),
}
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def _root_options(func: Any) -> Any:
    func = click.option(
        "--config-dir",
        "config_dirs",
        multiple=True,
        type=click.Path(path_type=Path),
        help="Extra settings directory (highest file precedence; repeatable).",
    )(func)
    func = click.option(
        "--log-format",
        type=click.Choice(["human", "json"]),
        default=None,
        help="Log lines for people or JSON lines for machines.",
    )(func)
    func = click.option(
        "--log-level",
        default=None,
        type=click.Choice(["trace", "debug", "info", "warning", "error"], case_sensitive=False),
        help="Log verbosity (default: settings log.level, INFO).",
    )(func)
    return common_options(func)


def _configure(
    config_dirs: tuple[Path, ...], log_format: str | None, log_level: str | None
) -> None:
    s = current_state()
    s.config_dirs = list(config_dirs)
    s.log_format = log_format
    s.log_level = log_level


@click.group(cls=LazyGroup, lazy=LEGION, aliases={"g": "generate"}, context_settings=CONTEXT)
@_root_options
def legion_group(
    config_dirs: tuple[Path, ...], log_format: str | None, log_level: str | None
) -> None:
    """Legion: async jobs and AI infrastructure, from your terminal."""
    _configure(config_dirs, log_format, log_level)


@click.group(cls=LazyGroup, lazy=LEGIONIO, context_settings=CONTEXT)
@_root_options
def legionio_group(
    config_dirs: tuple[Path, ...], log_format: str | None, log_level: str | None
) -> None:
    """Legion's engine: daemon, extensions and operations."""
    _configure(config_dirs, log_format, log_level)


def run(group: click.Group, prog: str, argv: list[str] | None = None) -> int:
    """Run a group; user errors exit 2 with a message, nothing ever ends in a traceback."""
    from legion.core.errors import LegionError

    state = reset_state()
    result: object = 0
    try:
        try:
            # Without standalone mode, click returns the code of a `ctx.exit(n)` instead of
            # raising it.
            result = group.main(args=argv, prog_name=prog, standalone_mode=False)
        finally:
            state.close()
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return 130
    except click.ClickException as exc:
        from legion.app.cli.output import error

        hint = None
        if isinstance(exc, click.UsageError) and exc.ctx is not None:
            hint = f"run `{exc.ctx.command_path} --help` for usage"
        error(exc.format_message(), hint, code="usage")
        return exc.exit_code
    except LegionError as exc:
        from legion.app.cli.output import error

        error(exc.message, exc.hint, code=exc.code, details=exc.details)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        from legion.app.cli.output import error

        if os.environ.get("LEGION_DEBUG"):
            raise
        error(
            f"internal error: {type(exc).__name__}: {exc}",
            "this is a bug in Legion; rerun with LEGION_DEBUG=1 for the traceback and report it",
            code="internal",
        )
        return 1
    return result if isinstance(result, int) else 0


def legion() -> None:
    sys.exit(run(legion_group, "legion"))


def legionio() -> None:
    sys.exit(run(legionio_group, "legionio"))
