"""The message runner: one log record per call, through the node's one logging setup."""

from __future__ import annotations

from typing import Any, Literal

from legion.core.logging import logger

__all__ = ["write"]

Level = Literal["trace", "debug", "info", "success", "warning", "error", "critical"]


def write(
    message: str, level: Level = "info", fields: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Log `message` at `level` with `fields` bound as structured extras; returns what was written.

    The message is written verbatim: braces in it are not format placeholders.
    """
    bound = dict(fields or {})
    logger.bind(**bound).log(level.upper(), "{}", message)
    return {"message": message, "level": level.upper(), "fields": bound}
