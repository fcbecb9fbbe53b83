"""What the checks read from a running node.

The lite engine keeps its worker threads private; these read them defensively, so a work plane
that does not expose them yields None ("not reported") instead of an error.
"""

from __future__ import annotations

import threading
from typing import Any

from legion.core.runtime import Runtime


def engine_started(runtime: Runtime) -> bool:
    return bool(getattr(runtime.engine, "_started", False))


def worker_threads(runtime: Runtime) -> list[threading.Thread] | None:
    threads: Any = getattr(runtime.engine.plane, "_threads", None)
    return list(threads) if isinstance(threads, list) else None


def writer_thread(runtime: Runtime) -> threading.Thread | None:
    thread: Any = getattr(runtime.tasks, "_thread", None)
    return thread if isinstance(thread, threading.Thread) else None


def writer_backlog(runtime: Runtime) -> int | None:
    """Task changes recorded but not yet written to the database."""
    backlog: Any = getattr(runtime.tasks, "backlog", None)
    return backlog if isinstance(backlog, int) else None
