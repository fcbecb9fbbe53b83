"""`legion-llm`: serve the gateway, read the cost ledger."""

from __future__ import annotations

import click


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Legion LLM gateway."""
