"""The settings of lex-exec (`lex.exec.*`), checked on each call so a typo is named, not ignored."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from legion.core.errors import ConfigError

DEFAULTS: dict[str, Any] = {
    # Executable names (looked up on the node's PATH) or absolute paths; empty refuses everything.
    "allow": [],
    # Bytes kept of each of stdout and stderr; the rest is read and dropped.
    "max_output_bytes": 1024 * 1024,
    # Largest `timeout` a caller may ask for, in seconds.
    "max_timeout": 3600.0,
}


@dataclass(frozen=True)
class ExecConfig:
    names: frozenset[str]
    paths: frozenset[str]
    max_output_bytes: int
    max_timeout: float

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> ExecConfig:
        merged = {**DEFAULTS, **settings}
        allow = merged["allow"]
        if not isinstance(allow, list | tuple) or not all(isinstance(a, str) and a for a in allow):
            raise ConfigError("lex.exec.allow must be a list of executable names or absolute paths")
        names, paths = set(), set()
        for entry in allow:
            if os.path.isabs(entry):
                paths.add(os.path.normpath(entry))
            elif os.sep in entry or (os.altsep and os.altsep in entry):
                raise ConfigError(
                    f"lex.exec.allow: {entry!r} is a relative path; list a bare executable name "
                    "or an absolute path"
                )
            else:
                names.add(entry)
        max_bytes = merged["max_output_bytes"]
        if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 0:
            raise ConfigError("lex.exec.max_output_bytes must be an integer >= 0")
        max_timeout = merged["max_timeout"]
        if (
            isinstance(max_timeout, bool)
            or not isinstance(max_timeout, int | float)
            or max_timeout <= 0
        ):
            raise ConfigError("lex.exec.max_timeout must be a number of seconds > 0")
        return cls(frozenset(names), frozenset(paths), max_bytes, float(max_timeout))
