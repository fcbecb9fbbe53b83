"""`legion-llm key …`: make client keys and the digests a config file stores instead of them.

Keys are read from stdin or a hidden prompt, never from argv, which shells and `ps` keep.
"""

from __future__ import annotations

import json
import secrets
import sys
from typing import NoReturn

import click

from legion.llm.keys import hash_key

KEY_PREFIX = "sk-legion-"


def generate_key() -> str:
    """A new random client key (256 bits)."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def _fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    raise click.exceptions.Exit(2)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def key() -> None:
    """Client keys for the gateway."""


@key.command("hash")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def hash_command(as_json: bool) -> None:
    """Print the SHA-256 of a key (from stdin, or typed at a hidden prompt) for key_sha256."""
    stream = sys.stdin
    if stream.isatty():
        plain = click.prompt("Key", hide_input=True, err=True, default="", show_default=False)
    else:
        plain = stream.readline()
    plain = plain.strip()
    if not plain:
        _fail("no key given; pipe it on stdin (echo $KEY | legion-llm key hash) or type it")
    digest = hash_key(plain)
    if as_json:
        click.echo(json.dumps({"key_sha256": digest}))
    else:
        click.echo(digest)


@key.command("generate")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def generate_command(as_json: bool) -> None:
    """Make a new key and its SHA-256: the key goes to its user, the digest into the config."""
    plain = generate_key()
    digest = hash_key(plain)
    if as_json:
        click.echo(json.dumps({"key": plain, "key_sha256": digest}))
        return
    click.echo(f"key:        {plain}")
    click.echo(f"key_sha256: {digest}")
    click.echo(
        "Give the key to its user and put key_sha256 in the config; the key is not stored.",
        err=True,
    )
