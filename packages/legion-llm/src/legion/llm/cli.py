"""`legion-llm` (also `legion llm`): serve the gateway, read the cost ledger, manage keys."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, ClassVar

import click

from legion.llm._version import __version__

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class _Lazy(click.Group):
    """Subcommands imported on use, so `legion-llm --help` stays fast."""

    LAZY: ClassVar[dict[str, tuple[str, str, str]]] = {
        "cost": (
            "legion.llm.ledger.commands",
            "cost",
            "The cost ledger: spend by key, model, day.",
        ),
        "key": (
            "legion.llm.key_commands",
            "key",
            "Generate virtual keys and hash them for config.",
        ),
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.LAZY])

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.LAZY:
            module, attr, _ = self.LAZY[name]
            import importlib

            command: click.Command = getattr(importlib.import_module(module), attr)
            return command
        return super().get_command(ctx, name)


@click.group(cls=_Lazy, context_settings=CONTEXT)
@click.version_option(__version__, "--version", prog_name="legion-llm")
def main() -> None:
    """Legion LLM gateway: OpenAI and Anthropic clients to any provider."""


@main.command()
@click.option(
    "--config",
    "config_path",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="A LiteLLM-style config.yaml (model_list, router_settings, general_settings, legion).",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=4000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 256))
@click.option(
    "--log-level",
    default="warning",
    show_default=True,
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
)
@click.option("--check", is_flag=True, help="Load and validate the config, print it, and exit.")
@click.option("--json", "as_json", is_flag=True, help="With --check: the summary as JSON.")
def serve(
    config_path: Path,
    host: str,
    port: int,
    workers: int,
    log_level: str,
    check: bool,
    as_json: bool,
) -> None:
    """Serve the OpenAI and Anthropic APIs in front of the configured models."""
    from legion.llm.config import ConfigError, load_config
    from legion.llm.server.run import ExposedWithoutKeys
    from legion.llm.server.run import serve as run_server

    try:
        if check:
            _print_check(load_config(config_path), as_json)
            return
        click.echo(
            f"legion-llm {__version__}: serving {config_path} on http://{host}:{port} "
            f"({workers} worker{'s' if workers > 1 else ''})",
            err=True,
        )
        run_server(config_path, host, port, workers, log_level)
    except ConfigError as exc:
        _fail(str(exc))
    except ExposedWithoutKeys as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"cannot serve on {host}:{port}: {exc.strerror or exc}; pick another --port")


def _print_check(config: Any, as_json: bool) -> None:
    rows = [
        {
            "model_name": d.model_name,
            "id": d.id,
            "provider": d.provider,
            "model": d.model,
            "tier": d.tier,
            "api_base": d.api_base,
        }
        for d in config.deployments
    ]
    if as_json:
        import json

        click.echo(json.dumps({"config": str(config.path), "deployments": rows}, indent=2))
        return
    click.echo(
        f"{config.path}: {len(rows)} deployments, models: {', '.join(config.public_models())}"
    )
    for row in rows:
        click.echo(f"  {row['model_name']:<24} {row['provider']}/{row['model']} tier={row['tier']}")


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


if __name__ == "__main__":
    main()
