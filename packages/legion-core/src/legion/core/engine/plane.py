"""The lite work plane: an in-process queue, worker threads, and a timer for delayed tasks.

No polling anywhere: workers block on the queue, the timer sleeps until the next due task.
A worker runs the first follow-up of the task it finished itself, without queueing it.
Full mode replaces this with dramatiq on RabbitMQ behind the same three methods.
"""

from __future__ import annotations

import heapq
import itertools
import queue
import threading
import time
from collections.abc import Callable
from typing import Protocol

from legion.core.engine.task import Task
from legion.core.logging import logger

_STOP = object()
Handler = Callable[[Task], "Task | None"]


class Plane(Protocol):
    """What the engine needs from a work plane (lite: `LocalPlane`; full: `RabbitPlane`)."""

    distributed: bool  # tasks may run in other processes; their messages outlive this one

    def start(self) -> None: ...
    def submit(self, task: Task) -> None: ...
    def schedule(self, task: Task, run_at: float) -> None: ...
    def stop(self, timeout: float = 30.0) -> None: ...
    def wait_published(self, timeout: float | None = None) -> bool: ...
    @property
    def threads(self) -> tuple[threading.Thread, ...]: ...
    @property
    def delayed_count(self) -> int: ...


PlaneFactory = Callable[[Handler, int], Plane]


class LocalPlane:
    distributed = False

    def __init__(self, handler: Callable[[Task], Task | None], workers: int = 4) -> None:
        self._handler = handler
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._workers = workers
        self._threads: list[threading.Thread] = []
        self._delayed: list[tuple[float, int, Task]] = []
        self._seq = itertools.count()
        self._timer_cond = threading.Condition()
        self._timer: threading.Thread | None = None
        self._running = False

    def start(self) -> None:
        if self._running:
            return
        self._running = True
        for i in range(self._workers):
            t = threading.Thread(target=self._work, name=f"legion-worker-{i}", daemon=True)
            t.start()
            self._threads.append(t)
        self._timer = threading.Thread(target=self._tick, name="legion-delay-timer", daemon=True)
        self._timer.start()

    def submit(self, task: Task) -> None:
        self._queue.put(task)

    def schedule(self, task: Task, run_at: float) -> None:
        """Hand `task` to a worker at `run_at` (epoch seconds)."""
        with self._timer_cond:
            heapq.heappush(self._delayed, (run_at, next(self._seq), task))
            self._timer_cond.notify()

    def stop(self, timeout: float = 30.0) -> None:
        if not self._running:
            return
        self._running = False
        with self._timer_cond:
            self._timer_cond.notify()
        for _ in self._threads:
            self._queue.put(_STOP)
        deadline = time.monotonic() + timeout
        for t in self._threads:
            t.join(max(0.0, deadline - time.monotonic()))
        self._threads.clear()

    def wait_published(self, timeout: float | None = None) -> bool:
        """Nothing leaves the process: a submitted task is queued when `submit` returns."""
        return True

    @property
    def threads(self) -> tuple[threading.Thread, ...]:
        """The worker threads (health checks count the live ones)."""
        return tuple(self._threads)

    @property
    def delayed_count(self) -> int:
        return len(self._delayed)

    def _work(self) -> None:
        get, handler = self._queue.get, self._handler
        while True:
            item = get()
            if item is _STOP:
                return
            try:
                # The handler may hand back a follow-up of the task it ran: this worker runs it
                # next, so a chain's steps follow each other without a trip through the queue.
                task: Task | None = item  # type: ignore[assignment]
                while task is not None:
                    task = handler(task)
            except BaseException:  # the handler reports task errors itself; this is a bug guard
                logger.opt(exception=True).error("worker handler crashed; the worker continues")

    def _tick(self) -> None:
        cond, heap = self._timer_cond, self._delayed
        with cond:
            while self._running:
                if not heap:
                    cond.wait()
                    continue
                delay = heap[0][0] - time.time()
                if delay > 0:
                    cond.wait(delay)
                    continue
                _, _, task = heapq.heappop(heap)
                self._queue.put(task)
