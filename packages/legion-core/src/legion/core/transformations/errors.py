"""The one error a transformation raises, at compile time or at render time."""

from __future__ import annotations

from typing import Any

from legion.core.errors import UsageError


class TransformationError(UsageError):
    """A transformation that does not compile, render, or produce valid arguments.

    `line` is the template line at fault when one is known; `details` carries the failing fields
    when the output did not validate against the follow-up function's signature.
    """

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        details: Any = None,
        line: int | None = None,
    ) -> None:
        super().__init__(message, hint=hint, details=details)
        self.line = line
