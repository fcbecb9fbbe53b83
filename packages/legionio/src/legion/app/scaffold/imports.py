"""`from M import a, b` statements written exactly as ruff's import sorter wants them.

Generated files and edited `__init__.py` files must stay lint-clean whatever the names' lengths,
so names are ordered like ruff orders them and the statement wraps only when it must.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

LINE_LENGTH = 100


def member_kind(name: str) -> int:
    """Ruff's order-by-type: CONSTANTS, then Classes, then everything else."""
    if len(name) > 1 and name.isupper():
        return 0
    if name[:1].isupper():
        return 1
    return 2


def member_key(name: str) -> tuple[int, list[tuple[int, int | str]]]:
    """Sort key of an imported name: its kind, then natural order (`v2` before `v10`)."""
    parts: list[tuple[int, int | str]] = [
        (0, int(part)) if part.isdigit() else (1, part)
        for part in re.split(r"(\d+)", name.lower())
        if part
    ]
    return member_kind(name), parts


def from_import(module: str, names: Iterable[str], line_length: int = LINE_LENGTH) -> str:
    """The statement importing `names` from `module`, wrapped one name a line when too long."""
    ordered = sorted(set(names), key=member_key)
    line = f"from {module} import {', '.join(ordered)}"
    if len(line) <= line_length:
        return line
    body = "".join(f"    {name},\n" for name in ordered)
    return f"from {module} import (\n{body})"
