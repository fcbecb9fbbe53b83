"""Errors a user can act on: each carries the problem and, where one exists, the fix.

The CLI turns a `LegionError` into a message and exit code 2 (bad input) or 1 (runtime failure);
the REST API turns it into a 4xx/5xx error envelope. Nothing here imports anything heavy.
"""

from __future__ import annotations

from typing import Any


class LegionError(Exception):
    """Base of every error meant for a user rather than a traceback."""

    exit_code = 1
    code = "error"

    def __init__(self, message: str, *, hint: str | None = None, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.hint:
            body["hint"] = self.hint
        if self.details is not None:
            body["details"] = self.details
        return body


class UsageError(LegionError):
    """The input was wrong: a bad name, argument, file or value."""

    exit_code = 2
    code = "bad_request"


class NotFoundError(UsageError):
    """Something named by the user does not exist."""

    code = "not_found"


class ConflictError(UsageError):
    """What the user asked for clashes with what exists (a name already taken)."""

    code = "conflict"


class ConfigError(UsageError):
    """A settings file, environment variable or reference is invalid."""

    code = "invalid_config"


class ValidationFailed(UsageError):
    """Arguments failed a capability's schema; `details` lists every failing field."""

    code = "validation_failed"
