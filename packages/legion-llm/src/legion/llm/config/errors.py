"""The one error the config loader raises: it names the file, the key path and the problem, so a
user can fix the YAML without reading a traceback. Secret values never appear in it."""

from __future__ import annotations

from pathlib import Path

from legion.core.errors import ConfigError as CoreConfigError


class ConfigError(CoreConfigError):
    """`<file>[:<line>]: <key path>: <problem>`, with a fix hint where one is obvious."""

    def __init__(
        self,
        file: Path | str,
        key: str | None,
        problem: str,
        *,
        hint: str | None = None,
        line: int | None = None,
    ) -> None:
        location = f"{file}:{line}" if line is not None else str(file)
        message = f"{location}: {key}: {problem}" if key else f"{location}: {problem}"
        super().__init__(message, hint=hint)
        self.file = str(file)
        self.key = key
        self.problem = problem
        self.line = line

    def __str__(self) -> str:
        return f"{self.message} (hint: {self.hint})" if self.hint else self.message
