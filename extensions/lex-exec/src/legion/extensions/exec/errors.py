"""Why a command did not run, as `LegionError`s: the reason and the fix, never a traceback."""

from __future__ import annotations

from legion.core.errors import LegionError, UsageError


class CommandRefused(UsageError):
    """The command is not allowed on this node (or not a command at all); nothing was started."""


class CommandNotStarted(LegionError):
    """The command was allowed but the operating system could not start it."""

    code = "exec_failed"
