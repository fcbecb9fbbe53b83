"""A click group whose subcommands are imported only when run, so `--help` stays fast."""

from __future__ import annotations

import importlib
from typing import Any

import click


class LazyGroup(click.Group):
    """Subcommands given as `name -> ("module:attribute", "short help")`, plus aliases."""

    def __init__(
        self,
        *args: Any,
        lazy: dict[str, tuple[str, str]] | None = None,
        aliases: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = lazy or {}
        self.aliases = aliases or {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self.lazy))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        cmd_name = self.aliases.get(cmd_name, cmd_name)
        if cmd_name in self.lazy:
            module_name, _, attribute = self.lazy[cmd_name][0].partition(":")
            command = getattr(importlib.import_module(module_name), attribute)
            if not isinstance(command, click.Command):
                raise TypeError(f"{module_name}:{attribute} is not a click command")
            return command
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """List commands from the table, without importing them."""
        rows = []
        for name in self.list_commands(ctx):
            if name in self.lazy:
                help_text = self.lazy[name][1]
            else:
                command = super().get_command(ctx, name)
                if command is None or command.hidden:
                    continue
                help_text = command.get_short_help_str(formatter.width)
            alias = [a for a, target in self.aliases.items() if target == name]
            label = f"{name} ({', '.join(alias)})" if alias else name
            rows.append((label, help_text))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)
