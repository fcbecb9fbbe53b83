"""Shared pieces of tools/bench/engine.py: what one timed run returns, the machine-load probes,
percentiles, and the loop a child process runs for one configuration (warm-up + N timed runs)."""

from __future__ import annotations

import gc
import itertools
import math
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

WORKLOADS = ("throughput", "chains", "latency")
# A run that has not finished after this long is reported as incomplete, not waited for.
RUN_TIMEOUT = 600.0
TASK_TIMEOUT = 5.0


@dataclass
class Sample:
    """One timed run. `items` is tasks (throughput, latency) or step executions (chains)."""

    seconds: float
    cpu: float
    enqueue: float
    items: int
    complete: bool = True
    latencies: list[float] = field(default_factory=list)  # seconds, submit -> body
    submits: list[float] = field(default_factory=list)  # seconds spent in the submit call
    checks: dict[str, Any] = field(default_factory=dict)


class Bench(Protocol):
    """One system under test, set up once per child process."""

    def throughput(self, n: int) -> Sample: ...

    def chains(self, n: int) -> Sample: ...

    def latency(self, n: int) -> Sample: ...

    def close(self) -> None: ...


class Clock:
    """Wall-clock and process CPU (every thread of this process) since `start`."""

    def __init__(self) -> None:
        self.wall = time.perf_counter()
        self.cpu = time.process_time()

    def stop(self) -> tuple[float, float]:
        return time.perf_counter() - self.wall, time.process_time() - self.cpu


class Countdown:
    """Peer task bodies call `hit()`; `done` is set by the `target`-th hit."""

    def __init__(self) -> None:
        self.reset(0)

    def reset(self, target: int) -> None:
        self._count = itertools.count(1)  # next() on it is atomic under the GIL
        self.target = target
        self.done = threading.Event()

    def hit(self) -> None:
        if next(self._count) == self.target:
            self.done.set()


def loadavg() -> tuple[float, float, float]:
    with open("/proc/loadavg") as f:
        one, five, fifteen = f.read().split()[:3]
    return float(one), float(five), float(fifteen)


def machine_busy_seconds() -> float:
    """CPU seconds all cores spent busy since boot (/proc/stat, without idle and iowait)."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    busy = sum(fields[:8]) - idle  # user nice system idle iowait irq softirq steal
    return busy / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def metrics_of(workload: str, s: Sample) -> dict[str, Any]:
    """The numbers the report shows for one run."""
    per_item_cpu_us = s.cpu / max(1, s.items) * 1e6
    base: dict[str, Any] = {"complete": s.complete, "seconds": s.seconds, **s.checks}
    if workload == "throughput":
        return base | {
            "tasks_per_s": s.items / s.seconds,
            "cpu_us_per_task": per_item_cpu_us,
            "enqueue_s": s.enqueue,
        }
    if workload == "chains":
        return base | {
            "us_per_step": s.seconds / s.items * 1e6,
            "steps_per_s": s.items / s.seconds,
            "cpu_us_per_step": per_item_cpu_us,
            "enqueue_s": s.enqueue,
        }
    lat = s.latencies or [math.nan]
    return base | {
        "p50_ms": percentile(lat, 50) * 1e3,
        "p99_ms": percentile(lat, 99) * 1e3,
        "max_ms": max(lat) * 1e3,
        "submit_p50_us": percentile(s.submits or [math.nan], 50) * 1e6,
        "cpu_us_per_task": per_item_cpu_us,
        "samples": len(s.latencies),
    }


def run_config(
    bench: Bench, workload: str, size: int, runs: int, emit: Callable[[dict[str, Any]], None]
) -> list[dict[str, Any]]:
    """A warm-up run, then `runs` timed runs; each run's metrics are emitted as it ends.

    `other_cores` is how many cores other processes kept busy during the run (the machine is
    shared): machine busy time from /proc/stat minus this process's CPU, over the wall time."""
    workload_fn: Callable[[int], Sample] = getattr(bench, workload)
    timed: list[dict[str, Any]] = []
    for index in range(runs + 1):
        gc.collect()
        busy, clock = machine_busy_seconds(), Clock()
        sample = workload_fn(size)
        wall, cpu = clock.stop()
        metrics = metrics_of(workload, sample)
        metrics["other_cores"] = max(0.0, machine_busy_seconds() - busy - cpu) / wall
        emit({"event": "run", "index": index, "warmup": index == 0, "metrics": metrics})
        if index > 0:
            timed.append(metrics)
    return timed
