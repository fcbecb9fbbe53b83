"""Find the line each rule starts on, so errors and decisions can point into the file.

Parsers here (hcl2, json, yaml) do not hand back positions for values, so we look for the
`path` key followed by the pattern, in order, which is exact for ordinary policy files.
"""

from __future__ import annotations

import re
from collections.abc import Sequence


def _path_line(pattern: str) -> re.Pattern[str]:
    quoted = re.escape(pattern)
    return re.compile(rf"""\bpath\b["']?\s*[:=]?\s*["']?{quoted}["']?(?:\s|[,{{}}]|$)""")


def rule_lines(text: str | None, patterns: Sequence[str]) -> list[int | None]:
    """1-based line of each pattern's `path` key, searched in order; None when not found."""
    if text is None:
        return [None] * len(patterns)
    lines = text.splitlines()
    found: list[int | None] = []
    start = 0
    for pattern in patterns:
        needle = _path_line(pattern)
        hit: int | None = None
        for index in range(start, len(lines)):
            if needle.search(lines[index]):
                hit = index
                break
        if hit is None:
            found.append(None)
        else:
            found.append(hit + 1)
            start = hit + 1
    return found
