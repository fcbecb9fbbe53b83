"""What the checks read from a running node, through the engine's public accessors."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from legion.core.runtime import Runtime


def engine_started(runtime: Runtime) -> bool:
    return runtime.engine.started


def worker_threads(runtime: Runtime) -> list[threading.Thread] | None:
    return list(runtime.engine.plane.threads)


def writer_thread(runtime: Runtime) -> threading.Thread | None:
    return runtime.tasks.writer


def writer_backlog(runtime: Runtime) -> int | None:
    """Task changes recorded but not yet written to the database."""
    return runtime.tasks.backlog
