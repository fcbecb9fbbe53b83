"""The one logging setup: loguru, human lines on a terminal, JSON lines when asked.

Secret values known from settings are masked in every record before any sink sees it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TextIO

from loguru import logger

from legion.core.settings.redact import REDACTED

if TYPE_CHECKING:
    from loguru import Message, Record

HUMAN_FORMAT = (
    "<green>{time:HH:mm:ss.SSS}</green> <level>{level: <8}</level> <cyan>{name}</cyan> {message}"
)

_secrets: tuple[str, ...] = ()


def _mask(record: Record) -> None:
    message = record["message"]
    for secret in _secrets:
        if secret in message:
            message = message.replace(secret, REDACTED)
    record["message"] = message


def _json_sink(stream: TextIO) -> Any:
    def write(message: Message) -> None:
        record = message.record
        line: dict[str, Any] = {
            "time": record["time"].isoformat(),
            "level": record["level"].name,
            "logger": record["name"],
            "message": record["message"],
        }
        if record["extra"]:
            line["extra"] = {k: str(v) for k, v in record["extra"].items()}
        if record["exception"] is not None:
            line["exception"] = str(record["exception"].value)
        stream.write(json.dumps(line, default=str) + "\n")
        stream.flush()

    return write


def setup_logging(
    level: str = "INFO",
    fmt: str = "human",
    *,
    stream: TextIO | None = None,
    color: bool | None = None,
    secrets: Iterable[str] = (),
) -> None:
    """Replace every loguru sink with one on `stream` (stderr by default)."""
    global _secrets
    _secrets = tuple(s for s in secrets if s and len(s) >= 4)
    stream = sys.stderr if stream is None else stream
    logger.remove()
    logger.configure(patcher=_mask)
    if fmt == "json":
        logger.add(_json_sink(stream), level=level, format="{message}")
    else:
        colorize = stream.isatty() if color is None else color
        logger.add(stream, level=level, format=HUMAN_FORMAT, colorize=colorize, backtrace=False)


__all__ = ["logger", "setup_logging"]
