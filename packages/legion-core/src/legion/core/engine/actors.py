"""Runs the actors that loaded extensions declare; every run is an ordinary task.

Each trigger is `engine.submit(address, actor.args)`, so follow-ups, retries, time limits and
the task log apply to actor runs as to any other task. One scheduler thread keeps a heap of due
actors; `loop` actors are woken by the engine's `task.<final status>` events, so nothing polls.

- `every`: a fixed-rate timer; a tick is skipped while the previous run is not final.
- `poll`: like `every`; follow-ups receive the diff of the result against the previous one.
- `once`: one run `delay` seconds after start.
- `loop`: runs again as soon as the previous run is final, backing off while it fails.
- `subscription`: a lite node reaches every function through submit; nothing to start.
- `nothing`: never triggered by the node.

A `singleton` actor runs only on the holder of the lock `actor:<address>`; others skip their
ticks until it is released (or, across processes, until the holder exits). An extension's
`leader_lock` setting set to false turns that lock off for its actors (a single-node setup).
"""

from __future__ import annotations

import functools
import heapq
import itertools
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from legion.core.engine import task as st
from legion.core.engine.bus import Subscription
from legion.core.engine.task import Task
from legion.core.extensions.actors import Actor
from legion.core.locks import Lock, open_lock
from legion.core.logging import logger

if TYPE_CHECKING:
    from legion.core.runtime import Runtime

TIMED = frozenset({"every", "poll", "once", "loop"})
FINAL_EVENTS = tuple(f"task.{s}" for s in sorted(st.FINAL))
KEEPALIVE = 10.0  # seconds between extensions of held singleton locks


@dataclass(eq=False)
class ActorState:
    """One declared actor and what the runner has done with it."""

    extension: str
    actor: Actor
    address: str
    singleton: bool
    state: str = "stopped"
    task: Task | None = None
    runs: int = 0
    skipped: int = 0
    failures: int = 0  # consecutive failed runs (a loop backs off on them)
    leader: bool = False
    generation: int = 0  # heap entries of older generations are stale
    settled: str | None = None  # id of the last run whose outcome was taken into account
    previous: Any = None  # poll: the last completed result
    has_previous: bool = False

    @property
    def kind(self) -> str:
        return self.actor.kind

    @property
    def lock_name(self) -> str:
        return f"actor:{self.address}"

    @property
    def lock_ttl(self) -> float:
        return max(3 * (self.actor.interval or 0.0), 3 * KEEPALIVE)

    def running(self) -> bool:
        return self.task is not None and self.task.status not in st.FINAL

    def describe(self) -> dict[str, Any]:
        state = "running" if self.state != "stopped" and self.running() else self.state
        return {
            "address": self.address,
            "kind": self.kind,
            "interval": self.actor.interval,
            "singleton": self.singleton,
            "state": state,
            "last_task_id": self.task.id if self.task is not None else None,
            "runs": self.runs,
            "skipped": self.skipped,
        }


class ActorRunner:
    """Starts and stops the actors of every loaded extension of a runtime."""

    def __init__(
        self,
        runtime: Runtime,
        *,
        lock: Lock | None = None,
        loop_backoff: float = 1.0,
        loop_backoff_max: float = 30.0,
        standby_interval: float = 5.0,
    ) -> None:
        self.runtime = runtime
        self.lock = lock if lock is not None else open_lock(runtime.settings)
        self.loop_backoff = loop_backoff
        self.loop_backoff_max = loop_backoff_max
        self.standby_interval = standby_interval
        self.actors = self._collect()
        self._heap: list[tuple[float, int, int, ActorState]] = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._running = False
        self._thread: threading.Thread | None = None
        self._subscriptions: list[Subscription] = []
        self._by_task: dict[str, ActorState] = {}

    def _collect(self) -> list[ActorState]:
        found: list[ActorState] = []
        registry = self.runtime.catalog.registry
        for record in self.runtime.catalog.records:
            ext = record.extension
            if record.status != "loaded" or ext is None:
                continue
            lex = self.runtime.settings.lex_settings(ext.name, dict(ext.settings))
            leader_lock = lex.get("leader_lock", True) is not False
            for actor in ext.actors:
                address = f"{ext.name}.{actor.function}"
                if address not in registry:
                    logger.warning("actor {} names a function that is not registered", address)
                    continue
                found.append(ActorState(ext.name, actor, address, actor.singleton and leader_lock))
        return found

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self) -> None:
        """Arm every actor; the scheduler thread starts only if some actor needs timing."""
        with self._cond:
            if self._running:
                return
            self._running = True
            now = time.monotonic()
            for state in self.actors:
                state.state = {"subscription": "active", "nothing": "idle"}.get(
                    state.kind, "waiting"
                )
                if state.kind in TIMED:
                    self._wake(state, now + self._first_delay(state.actor))
        if any(s.kind == "loop" for s in self.actors):
            bus = self.runtime.engine.bus
            self._subscriptions = [bus.subscribe(key, self._on_final) for key in FINAL_EVENTS]
        if any(s.kind in TIMED for s in self.actors):
            self._thread = threading.Thread(target=self._run, name="legion-actors", daemon=True)
            self._thread.start()
        logger.debug("actors started: {}", ", ".join(f"{s.kind} {s.address}" for s in self.actors))

    def stop(self, timeout: float = 10.0) -> None:
        """Stop triggering (runs in flight finish on the engine) and release singleton locks."""
        with self._cond:
            if not self._running:
                return
            self._running = False
            self._heap.clear()
            self._cond.notify_all()
        for sub in self._subscriptions:
            sub.cancel()
        self._subscriptions = []
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        for state in self.actors:
            if state.singleton and state.leader:
                self.lock.release(state.lock_name)
            state.leader = False
            state.state = "stopped"
        self._by_task.clear()

    def describe(self) -> list[dict[str, Any]]:
        """`{address, kind, interval, singleton, state, last_task_id, runs, skipped}` per actor."""
        with self._cond:
            return [s.describe() for s in self.actors]

    @staticmethod
    def _first_delay(actor: Actor) -> float:
        if actor.kind in ("every", "poll"):
            return actor.delay + (0.0 if actor.run_now else float(actor.interval or 0.0))
        return actor.delay

    # -- the scheduler thread -----------------------------------------------------------------
    def _wake(self, state: ActorState, at: float) -> None:
        """(Re)schedule `state` at monotonic time `at`; earlier entries for it become stale."""
        state.generation += 1
        heapq.heappush(self._heap, (at, next(self._seq), state.generation, state))
        self._cond.notify()

    def _run(self) -> None:
        keepalive = time.monotonic() + KEEPALIVE
        while True:
            with self._cond:
                state = None
                while self._running and state is None:
                    now = time.monotonic()
                    if now >= keepalive:
                        break
                    if not self._heap or self._heap[0][0] > now:
                        due = self._heap[0][0] if self._heap else keepalive
                        self._cond.wait(min(due, keepalive) - now)
                        continue
                    _, _, generation, candidate = heapq.heappop(self._heap)
                    if generation == candidate.generation:
                        state = candidate
                if not self._running:
                    return
            if state is None:
                self._keep_locks()
                keepalive = time.monotonic() + KEEPALIVE
                continue
            try:
                self._fire(state)
            except Exception:  # a bug here must not stop the other actors
                logger.opt(exception=True).error("actor {} could not be triggered", state.address)
                with self._cond:
                    if self._running and state.kind != "once":
                        self._wake(state, time.monotonic() + self.standby_interval)

    def _fire(self, state: ActorState) -> None:
        kind = state.kind
        if kind in ("every", "poll"):
            interval = float(state.actor.interval or 0.0)
            with self._cond:
                if self._running:
                    self._wake(state, time.monotonic() + interval)
            if state.running():
                state.skipped += 1
                logger.debug(
                    "{}: previous run {} not final; tick skipped", state.address, _id(state)
                )
                return
            if kind == "poll":
                self._remember_result(state)
            if self._leads(state):
                self._submit(state)
            return
        if kind == "once":
            if self._leads(state):
                self._submit(state)
            if state.state != "error":
                state.state = "done" if state.leader or not state.singleton else "standby"
            return
        # loop
        if state.running():  # woken early; its final event wakes it again
            return
        if not self._leads(state):
            with self._cond:
                if self._running:
                    self._wake(state, time.monotonic() + self.standby_interval)
            return
        task = self._submit(state)
        if task is not None:
            with self._cond:
                self._by_task[task.id] = state
            if task.status in st.FINAL:  # finished before it was registered
                self._settle(state, task)
        else:
            with self._cond:
                if self._running:
                    self._wake(state, time.monotonic() + self._backoff(state))

    def _submit(self, state: ActorState) -> Task | None:
        hook = None
        if state.kind == "poll":  # the diff against what this node saw last
            hook = functools.partial(poll_diff, state.previous, has_previous=state.has_previous)
        try:
            task = self.runtime.engine.submit(
                state.address, state.actor.args, result_hook=hook, record=state.actor.record
            )
        except Exception as exc:
            state.failures += 1
            state.state = "error"
            logger.error("actor {} could not submit its run: {}", state.address, exc)
            return None
        state.task = task
        state.runs += 1
        state.state = "waiting"
        return task

    def _remember_result(self, state: ActorState) -> None:
        task = state.task
        if task is not None and task.id != state.settled and task.status == st.COMPLETED:
            state.previous, state.has_previous, state.settled = task.result, True, task.id

    # -- singletons ---------------------------------------------------------------------------
    def _leads(self, state: ActorState) -> bool:
        """True if this node may run `state` now; a singleton needs its lock (taken per tick)."""
        if not state.singleton:
            return True
        try:
            acquired = self.lock.acquire(state.lock_name, state.lock_ttl)
        except Exception as exc:
            logger.warning("actor {}: lock {} failed: {}", state.address, state.lock_name, exc)
            acquired = False
        if acquired != state.leader:
            logger.info(
                "actor {}: {} singleton lock {}",
                state.address,
                "holds the" if acquired else "lost the",
                state.lock_name,
            )
        state.leader = acquired
        if not acquired:
            state.skipped += 1
            state.state = "standby"
            logger.opt(lazy=True).debug(
                "actor {}: {} holds {}; tick skipped",
                lambda: state.address,
                lambda: getattr(self.lock.holder(state.lock_name), "holder", "another node"),
                lambda: state.lock_name,
            )
        return acquired

    def _keep_locks(self) -> None:
        """Extend held singleton locks whose actors do not re-acquire on a short tick."""
        for state in self.actors:
            if state.singleton and state.leader and state.kind in ("loop", "once"):
                state.leader = self.lock.extend(state.lock_name, state.lock_ttl)
                if not state.leader:
                    logger.info("actor {}: lost the singleton lock", state.address)

    # -- loop completion ----------------------------------------------------------------------
    def _on_final(self, key: str, body: dict[str, Any]) -> None:
        state = self._by_task.get(str(body.get("id")))
        if state is not None and state.task is not None and state.task.id == body.get("id"):
            self._settle(state, state.task)

    def _settle(self, state: ActorState, task: Task) -> None:
        """A loop run is final: run again now, or after a growing pause while it fails."""
        with self._cond:
            if task.id == state.settled or not self._running:
                return
            state.settled = task.id
            self._by_task.pop(task.id, None)
            if task.status == st.COMPLETED:
                state.failures = 0
                delay = 0.0
            else:
                state.failures += 1
                delay = self._backoff(state)
                state.state = "backoff"
                logger.info(
                    "loop {}: run {} ended {}; next in {:.1f}s",
                    state.address,
                    task.id,
                    task.status,
                    delay,
                )
            self._wake(state, time.monotonic() + delay)

    def _backoff(self, state: ActorState) -> float:
        return float(
            min(self.loop_backoff * 2 ** max(state.failures - 1, 0), self.loop_backoff_max)
        )


def _id(state: ActorState) -> str:
    return state.task.id if state.task is not None else "-"


# -- poll diffs -------------------------------------------------------------------------------
def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Nested dicts and lists as dotted paths to leaves (`a.b`, `items.0.id`)."""
    if isinstance(value, dict) and value:
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(value, list) and value and prefix:
        out = {}
        for index, item in enumerate(value):
            out.update(flatten(item, f"{prefix}.{index}"))
        return out
    return {prefix: value} if prefix else {}


def poll_diff(previous: Any, current: Any, *, has_previous: bool) -> dict[str, Any]:
    """What a poll's follow-ups receive: whether it changed, how, and the current result.

    Dicts are compared leaf by leaf on dotted paths; anything else as a whole (`old`/`new`).
    The first poll has no previous result: everything counts as added."""
    if isinstance(current, dict) and (not has_previous or isinstance(previous, dict)):
        old = flatten(previous) if has_previous else {}
        new = flatten(current)
        added = {k: v for k, v in new.items() if k not in old}
        removed = {k: v for k, v in old.items() if k not in new}
        changed = {k: {"old": old[k], "new": v} for k, v in new.items() if k in old and old[k] != v}
        return {
            "changed": bool(added or removed or changed) or not has_previous,
            "diff": {"added": added, "removed": removed, "changed": changed},
            "result": current,
        }
    before = previous if has_previous else None
    return {
        "changed": not has_previous or previous != current,
        "diff": {"old": before, "new": current},
        "result": current,
    }
