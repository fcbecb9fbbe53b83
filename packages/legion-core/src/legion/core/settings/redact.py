"""Redaction of secrets in anything Legion prints, serves or logs."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit, urlunsplit

REDACTED = "***REDACTED***"
SECRET_KEY = re.compile(
    r"(pass(word|wd)?|secret|token|api[_-]?key|private[_-]?key|credential|master[_-]?key|auth[_-]?key)$",
    re.IGNORECASE,
)


def is_secret_key(key: str) -> bool:
    return bool(SECRET_KEY.search(key))


def redact_url(value: str) -> str:
    """`amqp://user:pw@host/` → `amqp://user:***REDACTED***@host/`; other strings unchanged."""
    if "://" not in value or "@" not in value:
        return value
    try:
        parts = urlsplit(value)
    except ValueError:
        return value
    if not parts.password:
        return value
    netloc = parts.netloc.replace(f":{parts.password}@", f":{REDACTED}@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def redact(data: Any, secret_paths: frozenset[str] | set[str] = frozenset(), path: str = "") -> Any:
    """Replace secrets: keys that look secret, values resolved from references, URL passwords."""
    if isinstance(data, dict):
        out = {}
        for key, value in data.items():
            child = f"{path}.{key}" if path else str(key)
            if value is not None and (is_secret_key(str(key)) or child in secret_paths):
                out[key] = REDACTED
            else:
                out[key] = redact(value, secret_paths, child)
        return out
    if isinstance(data, list):
        return [redact(v, secret_paths, path) for v in data]
    if isinstance(data, str):
        return redact_url(data)
    return data
