"""A thread that empties a spool whenever the broker is reachable, backing off after failures.

The transport starts it once and calls `wake()` on reconnect; `stop()` ends it before close.
While the spool is not empty the transport keeps appending new messages to it rather than
publishing them directly, or they would overtake older ones.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Protocol

from loguru import logger

from legion.core.spool.errors import SpoolClosed
from legion.core.spool.replay import Publish, ReplayResult


class Replayable(Protocol):
    @property
    def pending(self) -> int: ...

    def replay(self, publish: Publish, *, limit: int | None = None) -> ReplayResult: ...


class BackgroundDrain:
    """Replays in passes of at most `batch` records, so `stop()` never waits for a whole spool."""

    def __init__(
        self,
        spool: Replayable,
        publish: Publish,
        is_connected: Callable[[], bool],
        *,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
        poll_interval: float = 1.0,
        batch: int = 1000,
    ) -> None:
        if backoff <= 0 or max_backoff < backoff or poll_interval <= 0 or batch < 1:
            raise ValueError("drain needs 0 < backoff <= max_backoff, poll_interval > 0, batch > 0")
        self._spool = spool
        self._publish = publish
        self._is_connected = is_connected
        self._backoff = backoff
        self._max_backoff = max_backoff
        self._poll_interval = poll_interval
        self._batch = batch
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name="legion-spool-drain", daemon=True)
        self.delivered = 0  # records sent by this drain so far
        self.failures = 0  # passes that ended in a publish error
        self.last_result: ReplayResult | None = None

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        """Check the connection and replay now instead of after the current wait."""
        self._wake.set()

    def stop(self, timeout: float | None = None) -> bool:
        """Ask the thread to end after the record in flight; True once it has.

        Called from `publish` (on the drain's own thread) it only asks, and returns False."""
        self._stop.set()
        self._wake.set()
        if threading.current_thread() is self._thread:
            return False
        if self._thread.is_alive():
            self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def _wait(self, seconds: float) -> None:
        self._wake.wait(seconds)
        self._wake.clear()

    def _connected(self) -> bool:
        try:
            return bool(self._is_connected())
        except Exception as exc:
            logger.warning("spool drain: is_connected() raised ({}); treating as offline", exc)
            return False

    def _run(self) -> None:
        delay = self._backoff
        while not self._stop.is_set():
            try:
                if self._spool.pending == 0 or not self._connected():
                    self._wait(self._poll_interval)
                    continue
                result = self._spool.replay(self._publish, limit=self._batch)
            except SpoolClosed:
                return
            except Exception:
                logger.exception("spool drain: replay failed; retrying in {:.1f}s", delay)
                self._wait(delay)
                delay = min(delay * 2, self._max_backoff)
                continue
            self.last_result = result
            self.delivered += result.delivered
            if isinstance(result.error, SpoolClosed):
                return
            if result.error is not None:
                self.failures += 1
                self._wait(delay)
                delay = min(delay * 2, self._max_backoff)
            else:
                delay = self._backoff
