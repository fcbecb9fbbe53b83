"""Where Legion's time goes in the throughput and chains workloads (`engine.py --profile`).

1. Threaded, as benchmarked: CPU of each thread (submitting thread, workers, store writer)
   from per-thread CPU clocks, and how often and how long the store flushed.
2. Serial, under cProfile: the same tasks submitted with the workers not started, then executed
   one by one in this thread, then flushed, so submit / execute / flush are timed apart without
   threads competing for the GIL; the top functions of each phase by own time.
"""

from __future__ import annotations

import cProfile
import io
import pstats
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from engine_legion import NOOP, STEP_A, LegionBench, wait_all


def thread_cpu() -> dict[str, float]:
    """CPU seconds of every live thread, by name."""
    found = {}
    for t in threading.enumerate():
        if t.ident is None:
            continue
        try:
            found[t.name] = time.clock_gettime(time.pthread_getcpuclockid(t.ident))
        except OSError:  # the thread ended meanwhile
            continue
    return found


def submitter(function: str, n: int) -> Callable[[Any], list[str]]:
    def submit_all(engine: Any) -> list[str]:
        if function == STEP_A:
            return [engine.submit(STEP_A, {"n": i}).id for i in range(n)]
        return [engine.submit(NOOP).id for _ in range(n)]

    return submit_all


def threaded(function: str, n: int, workers: int | None, runs: int = 3) -> list[str]:
    """A warm-up and `runs` measured runs with the engine's threads: CPU per thread per task,
    and how the store writer batched (flushes, rows written per task)."""
    bench = LegionBench(workers)
    flushes: list[tuple[float, int]] = []
    original = bench.store._write  # every flush, the writer thread's included, writes here

    def timed_write(rows: list[Any], lines: list[Any]) -> None:
        start = time.perf_counter()
        original(rows, lines)
        flushes.append((time.perf_counter() - start, len(rows)))

    bench.store._write = timed_write  # type: ignore[method-assign]
    submit_all = submitter(function, n)
    tasks = n * (3 if function == STEP_A else 1)
    lines = [f"threaded, {tasks:,} tasks, {bench.workers} workers, µs per task:"]
    for index in range(runs + 1):
        flushes.clear()
        before, wall0, main0 = thread_cpu(), time.perf_counter(), time.thread_time()
        ids = submit_all(bench.engine)
        main_submit = time.thread_time() - main0
        wait_all(bench.engine.wait, ids)
        bench.store.flush()
        main_rest = time.thread_time() - main0 - main_submit
        wall = time.perf_counter() - wall0
        used = {k: v - before.get(k, 0.0) for k, v in thread_cpu().items()}
        if index == 0:
            continue
        per = 1e6 / tasks
        workers_cpu = sum(v for k, v in used.items() if k.startswith("legion-worker"))
        rows = sum(r for _, r in flushes)
        lines.append(
            f"  run {index}: wall {wall * per:.1f}; CPU: submit {main_submit * per:.1f}, "
            f"wait+final flush {main_rest * per:.1f}, workers {workers_cpu * per:.1f}, "
            f"writer {used.get('legion-task-writer', 0.0) * per:.1f}, "
            f"all {sum(used.values()) * per:.1f}; {len(flushes)} flushes, "
            f"{rows / max(1, len(flushes)):.0f} rows each, {rows / tasks:.2f} row writes/task, "
            f"{sum(f for f, _ in flushes) * per:.1f} wall in flush"
        )
    bench.close()
    return lines


def drain(engine: Any) -> int:
    """Execute every queued task (and its follow-ups, as a worker would) in this thread."""
    pending = engine.plane._queue
    count = 0
    while True:
        try:
            task = pending.get_nowait()
        except queue.Empty:
            return count
        while task is not None:  # a worker runs the follow-up it is handed back next
            task = engine._execute(task)
            count += 1


def profiled(label: str, fn: Callable[[], Any], top: int) -> tuple[list[str], Any]:
    profiler = cProfile.Profile()
    cpu0 = time.process_time()
    profiler.enable()
    value = fn()
    profiler.disable()
    cpu = time.process_time() - cpu0
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    body = [line for line in out.getvalue().splitlines() if line.strip()]
    start = next((i for i, line in enumerate(body) if "ncalls" in line), 0)
    return [f"{label}: {cpu * 1e3:.0f} ms CPU (under cProfile)", *body[start:]], value


def serial(function: str, n: int, top: int) -> list[str]:
    """Submit, execute and flush apart, each under cProfile, workers and writer not started."""
    bench = LegionBench()
    bench.engine.stop()  # no worker threads, no writer: this thread does everything
    engine, submit_all = bench.engine, submitter(function, n)
    submit_all(engine)  # warm-up round
    drain(engine)
    bench.store.flush()
    phases: dict[str, Callable[[], Any]] = {
        "submit": lambda: submit_all(engine),
        "execute": lambda: drain(engine),
        "flush": bench.store.flush,
    }
    timings = {}
    for label, fn in phases.items():
        cpu0 = time.process_time()
        fn()
        timings[label] = time.process_time() - cpu0
    tasks = n * (3 if function == STEP_A else 1)
    per_task = ", ".join(f"{k} {v / tasks * 1e6:.1f}" for k, v in timings.items())
    lines = [f"serial, no profiler, CPU µs/task: {per_task}"]
    for label, fn in phases.items():
        section, _ = profiled(label, fn, top)
        lines += ["", *section]
    bench.close()
    return lines


def profile(n_tasks: int = 20_000, n_chains: int = 2_000, top: int = 18) -> str:
    lines: list[str] = []
    for title, function, n in (
        ("no-op tasks", NOOP, n_tasks),
        ("chains A->B->C", STEP_A, n_chains),
    ):
        lines += [f"## {title}", *threaded(function, n, None), "", *serial(function, n, top), ""]
    return "\n".join(lines)
