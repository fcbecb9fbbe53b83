"""Per-task time limits for worker threads: the watchdog raises `TimeLimitExceeded` inside the
thread that overran (the same technique dramatiq uses; it interrupts Python code, not a C call)."""

from __future__ import annotations

import ctypes
import heapq
import itertools
import threading
import time


class TimeLimitExceeded(Exception):
    """Raised inside a task's thread when it runs past its time limit."""


class Watchdog:
    def __init__(self) -> None:
        self._heap: list[tuple[float, int, int]] = []
        self._active: dict[int, int] = {}  # token -> thread id
        self._tokens = itertools.count(1)
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._stopped = False

    def arm(self, seconds: float) -> int:
        """Start timing the calling thread; returns a token for `disarm`."""
        token = next(self._tokens)
        with self._cond:
            self._active[token] = threading.get_ident()
            heapq.heappush(self._heap, (time.monotonic() + seconds, token, threading.get_ident()))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="legion-watchdog", daemon=True
                )
                self._thread.start()
            self._cond.notify()
        return token

    def disarm(self, token: int) -> None:
        with self._cond:
            self._active.pop(token, None)

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify()

    def _run(self) -> None:
        with self._cond:
            while not self._stopped:
                if not self._heap:
                    self._cond.wait()
                    continue
                deadline, token, thread_id = self._heap[0]
                delay = deadline - time.monotonic()
                if delay > 0:
                    self._cond.wait(delay)
                    continue
                heapq.heappop(self._heap)
                if self._active.pop(token, None) == thread_id:
                    ctypes.pythonapi.PyThreadState_SetAsyncExc(
                        ctypes.c_ulong(thread_id), ctypes.py_object(TimeLimitExceeded)
                    )
