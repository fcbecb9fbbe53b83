"""Legion in full mode for tools/bench/full_mode.py: a scratch PostgreSQL schema and a queue
prefix of its own, a small extension the workers discover through an entry point on PYTHONPATH,
`legionio start --worker --processes N --threads M` in a process group of its own, and a
publisher runtime in this process (`Runtime.open(..., consume=False)`). A task is done when its
row in the store is `completed`.
"""

from __future__ import annotations

import base64
import importlib
import os
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _full_services import (
    AMQP_URL,
    POSTGRES_URL,
    BenchError,
    Group,
    RssSampler,
    consumers,
    delete_amqp,
    wait_until,
)

EXTENSION = "fullbench"
RUNNER = "work"
STEPS = 20
NOOP = f"{EXTENSION}.{RUNNER}.noop"
FIRST, LAST = f"{EXTENSION}.{RUNNER}.step_01", f"{EXTENSION}.{RUNNER}.step_{STEPS:02d}"
RUN_TIMEOUT = 900.0
BULK_POLL = 0.05  # polling the store while many tasks run (a count query)
CHAIN_POLL = 0.005  # polling for one row

PACKAGE = '''"""A benchmark extension: a no-op and a chain of 20 steps."""
from legion.core.sdk import Extension
from legion.extensions.fullbench.runners import work

extension = Extension(name="fullbench", version="0.1", runners=[work])
'''
STEP = '''

def step_{i:02d}(n: int = 0) -> dict:
    """Step {i} of the chain."""
    return {{"n": n + 1}}
'''
WORK = '''"""No-op work: `noop` for throughput, `step_01` .. `step_{steps:02d}` for the chain."""


def noop() -> None:
    """Do nothing."""
'''
DIST_INFO = "Metadata-Version: 2.1\nName: lex-fullbench\nVersion: 0.1\n"
ENTRY_POINTS = "[legion.extensions]\nfullbench = legion.extensions.fullbench:extension\n"


def write_extension(root: Path) -> None:
    package = root / "legion" / "extensions" / EXTENSION
    (package / "runners").mkdir(parents=True)
    (package / "__init__.py").write_text(PACKAGE)
    (package / "runners" / "__init__.py").write_text("")
    body = WORK.format(steps=STEPS) + "".join(STEP.format(i=i) for i in range(1, STEPS + 1))
    (package / "runners" / f"{RUNNER}.py").write_text(body)
    info = root / "lex_fullbench-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(DIST_INFO)
    (info / "entry_points.txt").write_text(ENTRY_POINTS)


class LegionCluster:
    """One worker group on its own schema and queue prefix; `close` removes all of it."""

    name = "legion"

    def __init__(self, processes: int, threads: int = 4) -> None:
        from legion.core.store.scratch import create_scratch
        from legion.core.transport.scratch import scratch_prefix

        self.processes, self.threads = processes, threads
        self.tmp = Path(tempfile.mkdtemp(prefix="legion-full-bench-"))
        self.prefix = scratch_prefix("legionbench")
        self.queue = f"{self.prefix}.{EXTENSION}.runners.{RUNNER}"
        self.scratch: Any = None
        self.runtime: Any = None
        self.workers: Group | None = None
        try:
            self.scratch = create_scratch(POSTGRES_URL, prefix="legion_bench")
            self._open()
        except BaseException:
            self.close()
            raise

    # -- set-up -------------------------------------------------------------------------------
    def _open(self) -> None:
        from legion.core.catalog import Catalog
        from legion.core.registry import CapabilityRegistry
        from legion.core.runtime import Runtime
        from legion.core.settings import load_settings

        root = self.tmp / "ext"
        write_extension(root)
        home = self.tmp / "home"
        home.mkdir()
        self.env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")])),
            "LEGION_HOME": str(home),
            "LEGION_MODE": "full",
            "LEGION_TRANSPORT__URL": AMQP_URL,
            "LEGION_TRANSPORT__QUEUE_PREFIX": self.prefix,
            "LEGION_DATA__URL": self.scratch.url,
            "LEGION_CRYPT__CLUSTER_SECRET": base64.b64encode(secrets.token_bytes(32)).decode(),
        }
        if str(root) not in sys.path:
            sys.path.insert(0, str(root))
        importlib.invalidate_caches()
        module = importlib.import_module(f"legion.extensions.{EXTENSION}")
        settings = load_settings(env=self.env, cwd=self.tmp)
        registry = CapabilityRegistry()
        registry.add(module.extension)
        # Opening the publisher creates the schema; the relationships exist before any worker
        # opens its runtime (a worker loads them when it starts).
        self.runtime = Runtime.open(settings, Catalog(settings, [], registry), consume=False)
        for i in range(1, STEPS):
            self.runtime.relationships.create(
                registry,
                trigger=f"{EXTENSION}.{RUNNER}.step_{i:02d}",
                action=f"{EXTENSION}.{RUNNER}.step_{i + 1:02d}",
            )
        self._settings = settings
        self.runtime.start(recover=False)
        self.start_workers()

    def start_workers(self) -> None:
        from legion.app.worker.supervisor import CHILD_CODE

        argv = [sys.executable, "-c", CHILD_CODE, "start", "--worker"]
        argv += ["--processes", str(self.processes), "--threads", str(self.threads)]
        self.workers = Group(argv, self.env, cwd=self.tmp, log=self.tmp / "workers.log").start()
        wait_until(
            f"Legion: {self.processes} consumer(s) on {self.queue}",
            lambda: consumers(self.queue) == self.processes,
            120,
            self.workers,
        )

    # -- store --------------------------------------------------------------------------------
    def _scalar(self, sql: str, **params: Any) -> int:
        from sqlalchemy import text

        with self.runtime.db.connect() as conn:
            return int(conn.execute(text(sql), params).scalar_one())

    def completed_since(self, function: str, since: float) -> int:
        return self._scalar(
            "SELECT count(*) FROM tasks WHERE status = 'completed' AND created_at >= :since "
            "AND function = :f",
            since=since,
            f=function,
        )

    def statuses_since(self, since: float) -> dict[str, int]:
        from sqlalchemy import text

        with self.runtime.db.connect() as conn:
            rows = conn.execute(
                text("SELECT status, count(*) FROM tasks WHERE created_at >= :s GROUP BY status"),
                {"s": since},
            )
            return {str(status): int(n) for status, n in rows}

    def _poll(self, done: Any, interval: float, timeout: float = RUN_TIMEOUT) -> bool:
        deadline = time.monotonic() + timeout
        while not done():
            if self.workers is not None and not self.workers.alive():
                raise BenchError(f"Legion workers exited ({self.workers.tail()})")
            if time.monotonic() > deadline:
                return False
            time.sleep(interval)
        return True

    # -- workloads ----------------------------------------------------------------------------
    def throughput(self, n: int) -> dict[str, Any]:
        submit, since = self.runtime.engine.submit, time.time() - 1.0
        started = time.perf_counter()
        for _ in range(n):
            submit(NOOP)
        self.runtime.engine.flush()
        enqueue = time.perf_counter() - started
        complete = self._poll(lambda: self.completed_since(NOOP, since) >= n, BULK_POLL)
        seconds = time.perf_counter() - started
        out = {"seconds": seconds, "tasks_per_s": n / seconds, "enqueue_s": enqueue}
        if not complete:
            out["incomplete"] = self.statuses_since(since)
        return out

    def chain(self, repeats: int) -> dict[str, Any]:
        """`repeats` chains one after another; each timed from submit to its last step's row."""
        times: list[float] = []
        sql = (
            "SELECT count(*) FROM tasks WHERE master_id = :m AND function = :f "
            "AND status = 'completed'"
        )
        for _ in range(repeats):
            started = time.perf_counter()
            root = self.runtime.engine.submit(FIRST, {"n": 0})
            self.runtime.engine.flush()
            last_done = lambda m=root.id: self._scalar(sql, m=m, f=LAST) >= 1  # noqa: E731
            if not self._poll(last_done, CHAIN_POLL, 120):
                return {"incomplete": True, "chains_done": len(times)}
            times.append(time.perf_counter() - started)
        total = sum(times)
        return {"seconds": total, "ms_per_step": total / (repeats * STEPS) * 1e3}

    def rss(self, n: int, warmup_fraction: float = 0.1, backlog: int = 20_000) -> dict[str, Any]:
        """Run `n` tasks with at most `backlog` outstanding while sampling the workers' RSS;
        the warm-up ends when `warmup_fraction` of them completed."""
        assert self.workers is not None
        sampler = RssSampler(self.workers.pid).start()
        submit, since = self.runtime.engine.submit, time.time() - 1.0
        warm_at = max(1, int(n * warmup_fraction))
        sent = done = 0
        started = time.perf_counter()
        try:
            while done < n:
                while sent < n and sent - done < backlog:
                    for _ in range(min(1000, n - sent)):
                        submit(NOOP)
                    sent += min(1000, n - sent)
                self.runtime.engine.flush()
                time.sleep(0.25)
                done = self.completed_since(NOOP, since)
                if done >= warm_at and "warm" not in sampler.marks:
                    sampler.mark("warm")
                if not self.workers.alive():
                    raise BenchError(f"Legion workers exited ({self.workers.tail()})")
                if time.perf_counter() - started > 4 * RUN_TIMEOUT:
                    break
            time.sleep(1.5)  # one more sample after the last task
        finally:
            sampler.stop()
        seconds = time.perf_counter() - started
        return rss_summary(sampler, n, done, seconds)

    def worker_pids(self) -> list[int]:
        from _full_services import children_of

        return children_of(self.workers.pid) if self.workers else []

    # -- clean-up -----------------------------------------------------------------------------
    def close(self) -> None:
        try:
            if self.workers is not None:
                self.workers.stop()
        finally:
            try:
                if self.runtime is not None:
                    self.runtime.stop()
            finally:
                try:
                    if self.env_ready():
                        delete_amqp(self._queues())
                finally:
                    if self.scratch is not None:
                        self.scratch.drop()
                    shutil.rmtree(self.tmp, ignore_errors=True)

    def env_ready(self) -> bool:
        return hasattr(self, "_settings")

    def _queues(self) -> list[str]:
        """Every queue the workers declare (one per runner of the extensions they load), with
        the delay and dead-letter queues beside each, and the plane's default queue."""
        from legion.core.catalog import Catalog
        from legion.core.extensions.components import LITE_COMPONENTS
        from legion.core.transport.queues import queues_for

        catalog = Catalog.load(self._settings, LITE_COMPONENTS)
        names = queues_for((c.address for c in catalog.registry), self.prefix)
        names |= {self.queue, f"{self.prefix}.legion.runners.default"}
        return [q + suffix for q in sorted(names) for suffix in ("", ".DQ", ".XQ")]


def rss_summary(sampler: RssSampler, n: int, done: int, seconds: float) -> dict[str, Any]:
    samples = sampler.samples
    if not samples:
        return {"tasks": n, "completed": done, "error": "no RSS samples"}
    warm_index = min(sampler.marks.get("warm", 0), len(samples) - 1)
    warm, end = samples[warm_index][1], samples[-1][1]
    peak = max(sum(s.values()) for _, s in samples)
    common = sorted(set(warm) & set(end))
    warm_kib = sum(warm[p] for p in common)
    end_kib = sum(end[p] for p in common)
    return {
        "tasks": n,
        "completed": done,
        "seconds": seconds,
        "tasks_per_s": done / seconds,
        "samples": len(samples),
        "processes_warm": len(warm),
        "processes_end": len(end),
        "same_processes": set(warm) == set(end),
        "warm_mib": warm_kib / 1024,
        "end_mib": end_kib / 1024,
        "peak_mib": peak / 1024,
        "growth_pct": (end_kib - warm_kib) / warm_kib * 100 if warm_kib else float("nan"),
        "series_mib": [  # the workers' total RSS, at most 60 points over the run
            round(sum(s.values()) / 1024, 1) for _, s in samples[:: max(1, len(samples) // 60)]
        ],
        "per_process_mib": {
            str(p): [round(warm[p] / 1024, 1), round(end[p] / 1024, 1)] for p in common
        },
    }
