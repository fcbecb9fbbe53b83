"""Unique ids without a system call each: a random per-process prefix and a counter (uuid4 reads
the OS random source every time, which shows on the request path)."""

from __future__ import annotations

import itertools
import uuid

_PREFIX = uuid.uuid4().hex[:16]
_counter = itertools.count()


def new_id() -> str:
    """32 hex characters (as a uuid4 hex), unique across processes with overwhelming probability."""
    return f"{_PREFIX}{next(_counter):016x}"
