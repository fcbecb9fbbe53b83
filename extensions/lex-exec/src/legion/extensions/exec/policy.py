"""Which executable an argv names, and whether this node allows it.

Bare names are looked up on the node's own PATH (never the caller's `env`), so a caller cannot
point an allowed name at a different program; paths must be absolute and allow-listed verbatim.
"""

from __future__ import annotations

import os
import shutil

from legion.extensions.exec.config import ExecConfig
from legion.extensions.exec.errors import CommandRefused

HOW_TO_ALLOW = "add it to the `lex.exec.allow` setting (executable names or absolute paths)"


def _has_separator(text: str) -> bool:
    return os.sep in text or bool(os.altsep and os.altsep in text)


def check_argv(argv: list[str]) -> None:
    if not argv or not argv[0]:
        raise CommandRefused("argv is empty; pass the executable and its arguments as a list")
    if any("\0" in a for a in argv):
        raise CommandRefused("argv contains a NUL byte")


def resolve(program: str, config: ExecConfig) -> str:
    """The absolute path to execute for `program`, or `CommandRefused` naming the setting."""
    if not config.names and not config.paths:
        raise CommandRefused(
            "lex-exec refuses every command until `lex.exec.allow` lists some; it is empty",
            hint='set lex.exec.allow, e.g. ["git", "/usr/local/bin/backup"], in a settings file',
        )
    if _has_separator(program):
        path = os.path.normpath(program)
        if not os.path.isabs(program) or path not in config.paths:
            raise CommandRefused(
                f"{program!r} is a path that is not allow-listed; paths must be absolute and "
                "listed in `lex.exec.allow` exactly",
                hint=HOW_TO_ALLOW,
            )
        return path
    found = shutil.which(program)
    listed = program in config.names or (
        found is not None and os.path.normpath(found) in config.paths
    )
    if not listed:
        raise CommandRefused(f"{program!r} is not allow-listed on this node", hint=HOW_TO_ALLOW)
    if found is None:
        raise CommandRefused(
            f"{program!r} is allow-listed but not found on this node's PATH",
            hint="install it, or allow-list its absolute path",
        )
    return os.path.abspath(found)
