"""When the task writer flushes: it sleeps while nothing waits, and once a change arrives it
flushes when `batch` changes wait, when the oldest is `interval` old, or when asked to.

No fixed tick: an idle node does not wake up, and a busy one writes big batches, so a task that
goes queued → running → completed between two flushes is written once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from legion.core.logging import logger


class Writer:
    """The writer thread of a `TaskStore`; `changed` is called after every recorded change."""

    def __init__(
        self,
        flush: Callable[[], int],
        backlog: Callable[[], int],
        interval: float,
        batch: int,
    ) -> None:
        self._flush = flush
        self._backlog = backlog
        self.interval = interval
        self.batch = batch
        self._wake = threading.Event()
        self._sleeping = False  # waiting for the first change, with no deadline
        self._urged = False  # flush without waiting for the deadline
        self._stopping = False
        self._thread: threading.Thread | None = None

    @property
    def thread(self) -> threading.Thread | None:
        return self._thread

    def start(self) -> None:
        if self._thread is None:
            self._stopping = False
            thread = threading.Thread(target=self._run, name="legion-task-writer", daemon=True)
            self._thread = thread
            thread.start()

    def stop(self) -> None:
        """End the thread after its current flush (the caller flushes what is left)."""
        self._stopping = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def changed(self, backlog: int) -> None:
        """Wake the thread for the first change after a flush, or when a batch is full.

        Cheap when nothing is to be done: two attribute reads on the recording thread."""
        if self._sleeping:
            self._sleeping = False
            self._wake.set()
        elif backlog >= self.batch and not self._urged:
            self.urge()

    def urge(self) -> None:
        """Flush as soon as possible instead of at the deadline."""
        self._urged = True
        self._wake.set()

    def _run(self) -> None:
        wake, backlog = self._wake, self._backlog
        while not self._stopping:
            self._sleeping = True
            wake.clear()
            if not backlog() and not self._urged:
                wake.wait()  # a change, urge() or stop() sets it
            self._sleeping = False
            if self._stopping:
                return
            deadline = time.monotonic() + self.interval
            while not self._urged and not self._stopping and backlog() < self.batch:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                wake.clear()
                if self._urged or self._stopping:
                    break
                wake.wait(left)
            self._urged = False
            try:
                self._flush()
            except Exception:
                logger.opt(exception=True).error("writing tasks to the store failed; will retry")
                time.sleep(min(1.0, self.interval * 10))
