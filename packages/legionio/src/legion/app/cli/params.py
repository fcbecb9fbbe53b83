"""Parsing what users type: `key=value` arguments (JSON when it parses) and JSON options."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from legion.core.errors import UsageError


def parse_pairs(pairs: tuple[str, ...] | list[str]) -> dict[str, Any]:
    """`count=3 name=ann tags=["a"]` → {"count": 3, "name": "ann", "tags": ["a"]}."""
    args: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise UsageError(
                f"argument {pair!r} is not key=value",
                hint="pass arguments as key=value; values parse as JSON when they can",
            )
        try:
            args[key] = json.loads(raw)
        except ValueError:
            args[key] = raw
    return args


def parse_json_object(text: str | None, option: str) -> dict[str, Any] | None:
    """A JSON object given inline or as `@path`; errors name the option and the position."""
    if text is None:
        return None
    source = option
    if text.startswith("@"):
        path = Path(text[1:])
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"{option}: cannot read {path}: {exc.strerror}") from None
        source = f"{option} {path}"
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"{source}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    if not isinstance(value, dict):
        raise UsageError(f"{source}: expected a JSON object, got {type(value).__name__}")
    return value


def read_text_option(text: str | None, option: str) -> str | None:
    """Inline text, or the contents of a file given as `@path`."""
    if text is None or not text.startswith("@"):
        return text
    path = Path(text[1:])
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{option}: cannot read {path}: {exc.strerror}") from None
