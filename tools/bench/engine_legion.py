"""Legion's lite engine under the three workloads of tools/bench/engine.py.

Built from the same pieces `Runtime.open` uses: SQLite in a temporary LEGION_HOME migrated to
head, a `TaskStore`, a `CapabilityRegistry` holding a real `Extension`, and an `Engine` with the
default engine settings. Every timed region ends with `store.flush()`, so each task's final state
is committed to the database when the clock stops.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import engine_lex
from engine_common import RUN_TIMEOUT, TASK_TIMEOUT, Clock, Sample
from sqlalchemy import text

from legion.core.engine.engine import Engine
from legion.core.registry import CapabilityRegistry
from legion.core.sdk import Extension
from legion.core.settings.model import EngineSettings, Settings
from legion.core.store import migrate
from legion.core.store.database import open_database
from legion.core.store.relationships import RelationshipStore
from legion.core.store.tasks import TaskStore

PREFIX = "bench.engine_lex."
NOOP, PROBE = PREFIX + "noop", PREFIX + "probe"
STEP_A, STEP_B, STEP_C = PREFIX + "step_a", PREFIX + "step_b", PREFIX + "step_c"
CONDITION = {"all": [{"fact": "results.ok", "operator": "equal", "value": True}]}
TRANSFORMATION = '{"n": {{ results.v }}}'


def bench_extension() -> Extension:
    return Extension(name="bench", version="0.0.0", runners=[engine_lex])


class LegionBench:
    """One engine per child process, started once; runs accumulate in its database."""

    name = "legion"

    def __init__(self, workers: int | None = None) -> None:
        self.home = tempfile.mkdtemp(prefix="legion-bench-")
        os.environ["LEGION_HOME"] = self.home
        engine_settings = EngineSettings() if workers is None else EngineSettings(workers=workers)
        settings = Settings(home=Path(self.home), engine=engine_settings)
        self.db = open_database(settings)
        migrate.upgrade(self.db)
        self.store = TaskStore(self.db, settings.engine.flush_interval)
        self.registry = CapabilityRegistry()
        self.registry.add(bench_extension())
        self.engine = Engine(self.registry, self.store, settings.engine)
        self._load_relationships()
        self.engine.start()
        self.workers = settings.engine.workers
        self._expected: dict[str, int] = {}

    def _load_relationships(self) -> None:
        """A -> [condition on A's result] -> B -> [Jinja transformation of B's result] -> C."""
        rels = RelationshipStore(self.db)
        rels.create(self.registry, trigger=STEP_A, action=STEP_B, conditions=CONDITION)
        rels.create(self.registry, trigger=STEP_B, action=STEP_C, transformation=TRANSFORMATION)
        self.engine.relationships.load(rels.list(active_only=True))

    # -- workloads ----------------------------------------------------------------------------
    def throughput(self, n: int) -> Sample:
        submit, wait = self.engine.submit, self.engine.wait
        clock = Clock()
        ids = [submit(NOOP).id for _ in range(n)]
        enqueue = time.perf_counter() - clock.wall
        complete = wait_all(wait, ids)
        self.store.flush()
        seconds, cpu = clock.stop()
        checks = {"persisted": self._persisted(NOOP, n)}
        return Sample(seconds, cpu, enqueue, n, complete=complete, checks=checks)

    def chains(self, n: int) -> Sample:
        submit, wait = self.engine.submit, self.engine.wait
        clock = Clock()
        ids = [submit(STEP_A, {"n": i}).id for i in range(n)]
        enqueue = time.perf_counter() - clock.wall
        complete = wait_all(wait, ids)
        self.store.flush()
        seconds, cpu = clock.stop()
        checks = {"persisted": self._persisted(STEP_C, n)}
        return Sample(seconds, cpu, enqueue, 3 * n, complete=complete, checks=checks)

    def latency(self, n: int) -> Sample:
        submit, wait, stamps = self.engine.submit, self.engine.wait, engine_lex.STAMPS
        stamps.clear()
        latencies: list[float] = []
        submits: list[float] = []
        complete = True
        clock = Clock()
        for _ in range(n):
            start = time.perf_counter()
            task = submit(PROBE)
            submits.append(time.perf_counter() - start)
            if not wait(task.id, TASK_TIMEOUT):
                complete = False
                break
            latencies.append(stamps[-1] - start)
        seconds, cpu = clock.stop()
        return Sample(seconds, cpu, sum(submits), n, complete, latencies, submits)

    def close(self) -> None:
        self.engine.stop()
        self.db.dispose()
        shutil.rmtree(self.home, ignore_errors=True)

    # -- checks -------------------------------------------------------------------------------
    def _persisted(self, function: str, n: int) -> bool:
        """Every task this child has run so far is in the database as completed."""
        self._expected[function] = self._expected.get(function, 0) + n
        with self.db.connect() as conn:
            found = conn.execute(
                text("SELECT count(*) FROM tasks WHERE function = :f AND status = 'completed'"),
                {"f": function},
            ).scalar_one()
        return bool(found == self._expected[function])


def wait_all(wait: Callable[[str, float], bool], ids: list[str]) -> bool:
    """Wait for each task (and its follow-ups); stop at the first that does not finish."""
    return all(wait(task_id, RUN_TIMEOUT) for task_id in ids)


def describe(bench: LegionBench) -> dict[str, Any]:
    return {"workers": bench.workers, "store": "SQLite (WAL, synchronous=NORMAL)"}
