"""The engine: accepts tasks, runs them on the work plane, persists every change, publishes
`task.<status>` events, and evaluates relationships to enqueue follow-ups in the same worker."""

from __future__ import annotations

import functools
import json
import random
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any

from legion.core.engine import task as st
from legion.core.engine.bus import InProcessBus
from legion.core.engine.plane import LocalPlane, PlaneFactory
from legion.core.engine.relationships import Follow, RelationshipIndex
from legion.core.engine.task import Task, child_id
from legion.core.engine.timelimit import TimeLimitExceeded, Watchdog
from legion.core.errors import NotFoundError, UsageError, ValidationFailed
from legion.core.logging import logger
from legion.core.registry import Capability, CapabilityRegistry
from legion.core.settings.model import EngineSettings
from legion.core.store.tasks import TaskStore

if TYPE_CHECKING:
    from legion.core.telemetry.observer import TaskObserver


@dataclass(frozen=True)
class RunPolicy:
    retries: int
    time_limit: float | None


class Engine:
    def __init__(
        self,
        registry: CapabilityRegistry,
        store: TaskStore,
        settings: EngineSettings | None = None,
        *,
        bus: InProcessBus | None = None,
        relationships: RelationshipIndex | None = None,
        plane: PlaneFactory | None = None,
        observer: TaskObserver | None = None,
    ) -> None:
        self.registry = registry
        self.store = store
        self.settings = settings or EngineSettings()
        self.bus = bus or InProcessBus()
        self.relationships = relationships or RelationshipIndex()
        self.plane = (plane or LocalPlane)(self._execute, self.settings.workers)
        self.observer = observer
        self._watchdog = Watchdog()
        self._live: dict[str, Task] = {}
        self._outstanding: dict[str, int] = {}
        self._done: dict[str, threading.Event] = {}
        self._idempotent: dict[str, str] = {}
        self._lock = threading.Lock()
        self._policies: dict[str, RunPolicy] = {}
        self._started = False

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self, *, recover: bool = True) -> int:
        """Start workers and the writer; with `recover`, pick up what a previous run left."""
        self.store.start()
        self.plane.start()
        self._started = True
        return self.recover() if recover else 0

    def stop(self) -> None:
        self.plane.stop()
        self._watchdog.stop()
        self.store.stop()
        self._started = False

    def flush(self, timeout: float | None = None) -> bool:
        """Make what was submitted so far durable: its rows written and, in full mode, its
        messages with the broker (or in the spool). `submit` returns before either happens."""
        published = self.plane.wait_published(timeout)
        self.store.flush()
        return published

    @property
    def started(self) -> bool:
        """Whether workers and the writer run in this process."""
        return self._started

    def recover(self) -> int:
        """Re-enqueue queued, delayed and interrupted (running) tasks from the store.

        On a distributed plane the broker redelivers what a dead worker was running, so only
        pending tasks are published again (one may have been written but never published);
        a copy that is already queued finds the task claimed and runs nothing."""
        count = 0
        distributed = self.plane.distributed
        for task in self.store.unfinished():
            if task.id in self._live:
                continue
            if task.status == st.RUNNING and distributed:
                continue
            if task.status == st.RUNNING:
                task.status = st.QUEUED
                self._record(task, "requeued: the node stopped while it was running")
            self._track(task)
            if task.status == st.DELAYED and task.run_at:
                self.plane.schedule(task, task.run_at)
            else:
                self.plane.submit(task)
            count += 1
        return count

    def requeue_stale(self, older_than: float, limit: int = 1000) -> list[str]:
        """Queue again tasks the store shows `running` since before `older_than` that do not run
        in this process: their worker died and nothing will deliver them again (a broker
        redelivers a dead worker's messages itself; this catches what slipped through)."""
        requeued: list[str] = []
        for task in self.store.stale_running(older_than, limit):
            if task.id in self._live:
                continue
            task.status = st.QUEUED
            self._track(task)
            self._record(task, "requeued: running too long on a worker that is gone")
            self._emit(task)
            self.plane.submit(task)
            requeued.append(task.id)
        return requeued

    # -- submitting ---------------------------------------------------------------------------
    def capability(self, function: str) -> Capability:
        return self.registry.get(function)

    def prepare(
        self,
        function: str,
        args: Mapping[str, Any] | None = None,
        *,
        payload: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
        delay: float | None = None,
        chain: str | None = None,
    ) -> Task:
        """Validate and build a root task without running it (the CLI persists it as queued)."""
        cap = self.capability(function)
        valid = cap.validate(args or {})
        args_json = self._check_size(function, args or {}, payload)
        if delay is not None and delay < 0:
            raise UsageError(f"delay must be >= 0 seconds, got {delay}")
        # Persist what the caller sent (JSON); call with the validated, coerced values.
        task = Task(
            function=function,
            args=dict(args or {}),
            payload=payload,
            chain=chain,
            idempotency_key=idempotency_key,
            max_retries=self._policy(function, cap).retries,
        )
        task.call_args = valid
        task.args_json = args_json
        if delay:
            task.status = st.DELAYED
            task.run_at = time.time() + delay
        return task

    def submit(
        self,
        function: str,
        args: Mapping[str, Any] | None = None,
        *,
        payload: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
        delay: float | None = None,
        chain: str | None = None,
        result_hook: Callable[[Any], Any] | None = None,
        record: bool = True,
    ) -> Task:
        """Validate, persist and enqueue a task; a repeated idempotency key returns the first.

        `result_hook` maps the result before follow-ups are evaluated (the stored result stays
        what the function returned); it lives in memory only and is lost on recovery.
        `record=False` runs it without writing it or its follow-ups to the store (frequent
        internal ticks); events are still published and failures logged."""
        if idempotency_key:
            existing = self._find_idempotent(idempotency_key)
            if existing is not None:
                return existing
        task = self.prepare(
            function,
            args,
            payload=payload,
            idempotency_key=idempotency_key,
            delay=delay,
            chain=chain,
        )
        task.result_hook = result_hook
        task.record = record
        if idempotency_key:
            self._idempotent[idempotency_key] = task.id
        self._enqueue(task, "submitted")
        return task

    def _find_idempotent(self, key: str) -> Task | None:
        task_id = self._idempotent.get(key)
        if task_id is not None:
            return self._live.get(task_id) or self.store.get(task_id)
        found = self.store.find_idempotent(key)
        if found is not None:
            self._idempotent[key] = found.id
        return found

    def _check_size(self, function: str, args: Mapping[str, Any], payload: Any) -> str:
        """The arguments as JSON, after checking arguments and payload fit the size limit."""
        try:
            args_json = json.dumps(args) if args else "{}"
            payload_size = len(json.dumps(payload)) if payload is not None else 0
        except (TypeError, ValueError) as exc:
            raise UsageError(f"arguments of {function} are not JSON: {exc}") from None
        size = len(args_json) + payload_size
        limit = self.settings.max_payload_bytes
        if size > limit:
            raise UsageError(
                f"arguments and payload of {function} are {size} bytes, "
                f"over the {limit}-byte limit",
                hint="raise engine.max_payload_bytes or pass a reference (a URL, a path) instead",
            )
        return args_json

    def _track(self, task: Task) -> None:
        root = task.root_id
        with self._lock:
            self._live[task.id] = task
            self._outstanding[root] = self._outstanding.get(root, 0) + 1

    def _enqueue(
        self, task: Task, message: str | None = None, keep: list[Task] | None = None
    ) -> None:
        """Track, record and announce `task`, then queue it; with `keep` (a worker's follow-ups),
        the first queued one goes into `keep` instead, for that worker to run next."""
        self._track(task)
        self._record(task, message)
        self._emit(task)
        if task.status == st.DELAYED and task.run_at is not None:
            self.plane.schedule(task, task.run_at)
        elif keep is not None and not keep:
            keep.append(task)
        else:
            self.plane.submit(task)

    # -- running ------------------------------------------------------------------------------
    def _policy(self, function: str, cap: Capability) -> RunPolicy:
        policy = self._policies.get(function)
        if policy is None:
            opts = cap.options
            policy = RunPolicy(
                retries=opts.retries if opts.retries is not None else self.settings.retries,
                time_limit=opts.timeout if opts.timeout is not None else self.settings.time_limit,
            )
            self._policies[function] = policy
        return policy

    def _execute(self, task: Task) -> Task | None:
        """Run one task in a worker thread; every outcome is recorded, nothing escapes.

        Returns its first follow-up, already recorded as queued, for the same worker to run next
        (it then goes queued → completed within one write batch and is written once)."""
        with self._lock:  # claim it; cancel() decides under the same lock
            if task.status not in st.PENDING:  # cancelled or expired while it waited
                return None
            task.status = st.RUNNING
        try:
            cap = self.registry.get(task.function)
        except NotFoundError as exc:
            self._fail(task, st.FAILED, {"type": "NotFound", "message": exc.message})
            return None
        policy = self._policy(task.function, cap)
        task.started_at = time.time()
        task.attempts += 1
        self._record(task)
        self._emit(task)
        observer = self.observer
        if observer is not None:
            observer.started(task)
        token = self._watchdog.arm(policy.time_limit) if policy.time_limit else 0
        try:
            try:
                call_args = task.call_args
                if call_args is None:  # recovered from the store: validate again
                    call_args = cap.validate(task.args)
                result = cap.call(call_args, task.id)
            finally:
                if token:
                    self._watchdog.disarm(token)
            result_json = "null" if result is None else json.dumps(result)
        except ValidationFailed as exc:
            self._fail(
                task,
                st.FAILED,
                {"type": "ValidationFailed", "message": exc.message, "details": exc.details},
            )
            return None
        except (TypeError, ValueError) as exc:
            if "JSON serializable" in str(exc) or "Circular reference" in str(exc):
                self._fail(
                    task,
                    st.FAILED,
                    {"type": "ResultNotJSON", "message": f"the result is not JSON: {exc}"},
                )
                return None
            self._failed_attempt(task, exc, policy)
            return None
        except TimeLimitExceeded as exc:
            self._failed_attempt(task, exc, policy, f"time limit of {policy.time_limit}s exceeded")
            return None
        except BaseException as exc:  # the task's own error, whatever it is
            if isinstance(exc, KeyboardInterrupt | SystemExit):
                raise
            self._failed_attempt(task, exc, policy)
            return None
        task.result = result
        task.result_json = result_json
        task.status = st.COMPLETED
        task.finished_at = time.time()
        self._record(task)
        self._emit(task)
        keep: list[Task] = []
        try:
            self._follow_ups(task, keep)
        except Exception as exc:  # a bug in follow-up handling must still finish the task
            logger.opt(exception=True).error("follow-ups of task {} failed", task.id)
            task.status = st.EXCEPTION
            task.error = {"type": type(exc).__name__, "message": f"follow-ups failed: {exc}"}
            self._record(task, task.error["message"])
            self._emit(task)
        if observer is not None:
            observer.ended(task)
        self._finish(task)
        return keep[0] if keep else None

    def _failed_attempt(
        self, task: Task, exc: BaseException, policy: RunPolicy, message: str | None = None
    ) -> None:
        error = {
            "type": type(exc).__name__,
            "message": message or str(exc) or type(exc).__name__,
            "traceback": "".join(traceback.format_exception(exc)),
            "attempts": task.attempts,
        }
        if task.attempts <= policy.retries:
            delay = min(
                self.settings.retry_backoff * 2 ** (task.attempts - 1),
                self.settings.retry_backoff_max,
            )
            delay *= 1 + random.uniform(0, 0.1)
            task.status = st.DELAYED
            task.error = error
            task.run_at = time.time() + delay
            self._record(
                task,
                f"retry {task.attempts}/{policy.retries} in {delay:.2f}s: "
                f"{error['type']}: {error['message']}",
            )
            self._emit(task)
            if self.observer is not None:
                self.observer.ended(task)
            self.plane.schedule(task, task.run_at)
            return
        self._fail(task, st.FAILED, error)

    def _fail(self, task: Task, status: str, error: dict[str, Any]) -> None:
        task.status = status
        task.error = error
        task.finished_at = time.time()
        self._record(task, f"{error.get('type')}: {error.get('message')}")
        self._emit(task)
        if self.observer is not None:
            self.observer.ended(task)
        self._finish(task)

    def _finish(self, task: Task) -> None:
        root = task.root_id
        with self._lock:
            self._live.pop(task.id, None)
            left = self._outstanding.get(root, 1) - 1
            if left > 0:
                self._outstanding[root] = left
                return
            self._outstanding.pop(root, None)
            done = self._done.pop(root, None)
        if done is not None:
            done.set()

    def _record(self, task: Task, message: str | None = None) -> None:
        if task.record:
            self.store.record(task, message)
        elif task.status == st.FAILED and task.error:
            logger.warning(
                "unrecorded task {} failed: {}", task.function, task.error.get("message")
            )

    def _emit(self, task: Task) -> None:
        bus = self.bus
        key = "task." + task.status
        if bus.has_subscribers(key):
            bus.publish(key, task.event())

    # -- chains -------------------------------------------------------------------------------
    def _follow_ups(self, task: Task, keep: list[Task] | None = None) -> None:
        follows = self.relationships.for_trigger(task.function)
        if not follows:
            return
        if self.plane.distributed:
            keep = None  # each follow-up gets its own message, so a dead worker orphans none
        result = task.result if task.result_hook is None else task.result_hook(task.result)
        items = result if isinstance(result, list) else (result,)
        for follow in follows:
            if follow.chain is not None and task.chain is not None and follow.chain != task.chain:
                continue
            for index, item in enumerate(items):
                self._follow(task, follow, item, keep, index)

    def resume(self, task: Task) -> None:
        """Publish the follow-ups of a task that completed on a worker that died before it
        acknowledged the message; they have the same ids as the first time, so none runs twice."""
        if task.status == st.COMPLETED:
            self._follow_ups(task)

    def resume_stored(self, task_id: str) -> None:
        task = self.store.get(task_id)
        if task is not None:
            self.resume(task)

    def _follow(
        self,
        parent: Task,
        follow: Follow,
        item: Any,
        keep: list[Task] | None = None,
        index: int = 0,
    ) -> None:
        child = Task(
            function=follow.action,
            args={},
            id=child_id(parent.id, follow.id, index, 0),
            parent_id=parent.id,
            master_id=parent.root_id,
            depth=parent.depth + 1,
            chain=follow.chain or parent.chain,
            relationship_id=follow.id,
            payload=parent.payload,
            record=parent.record,
            trace=parent.trace_children,
        )
        context = {
            "results": item,
            "args": parent.args,
            "payload": parent.payload or {},
            "task": {
                "id": parent.id,
                "function": parent.function,
                "master_id": parent.root_id,
                "chain": parent.chain,
            },
        }
        if child.depth > self.settings.max_depth:
            self._record_final(
                child,
                st.FAILED,
                {
                    "type": "MaxDepth",
                    "message": f"max chain depth {self.settings.max_depth} reached "
                    f"(relationship {follow.id}: {parent.function} → {follow.action})",
                },
            )
            return
        condition = follow.condition  # compiled once, when the relationships were loaded
        if condition is not None and not condition.evaluate(context):
            self._record_final(
                child,
                st.CONDITIONER_FAILED,
                {
                    "type": "ConditionsNotMet",
                    "message": "conditions not met",
                    "explain": condition.explain(context),
                },
            )
            return
        try:
            cap = self.registry.get(follow.action)
        except NotFoundError as exc:
            self._record_final(child, st.FAILED, {"type": "NotFound", "message": exc.message})
            return
        arg_sets = self._arguments(child, follow, cap, context, item)
        if arg_sets is None:
            return
        for i, args in enumerate(arg_sets):  # a transformation that renders a list fans out
            spawned = child if i == 0 else sibling(child, child_id(parent.id, follow.id, index, i))
            self._spawn(spawned, follow, cap, args, keep)

    def _arguments(
        self, child: Task, follow: Follow, cap: Capability, context: dict[str, Any], item: Any
    ) -> list[dict[str, Any]] | None:
        """The action's arguments: rendered by the transformation, or the result's matching keys.

        None means the child was already recorded as failed."""
        if follow.transformation is not None:
            transformations = _transformations()
            try:
                out = transformations.transform_and_validate(
                    follow.transformation, context, cap.validate
                )
            except transformations.TransformationError as exc:
                self._record_final(
                    child,
                    st.TRANSFORMER_FAILED,
                    {
                        "type": "TransformationError",
                        "message": exc.message,
                        "details": exc.details,
                    },
                )
                return None
            return list(out) if isinstance(out, list) else [out]
        params = cap.input_schema.get("properties", {})
        args = {k: v for k, v in item.items() if k in params} if isinstance(item, dict) else {}
        try:
            return [cap.validate(args)]
        except ValidationFailed as exc:
            self._record_final(
                child,
                st.FAILED,
                {
                    "type": "ValidationFailed",
                    "message": f"{exc.message} (no transformation: arguments are the result's keys "
                    "that match the action's parameters)",
                    "details": exc.details,
                },
            )
            return None

    def _spawn(
        self,
        child: Task,
        follow: Follow,
        cap: Capability,
        args: dict[str, Any],
        keep: list[Task] | None = None,
    ) -> None:
        child.args, child.args_json = json_args(args)
        child.call_args = args
        child.max_retries = self._policy(child.function, cap).retries
        if follow.delay:
            child.status = st.DELAYED
            child.run_at = time.time() + follow.delay
        message = f"follow-up of {child.parent_id} via relationship {follow.id}"
        self._enqueue(child, message, keep)

    def _record_final(self, task: Task, status: str, error: dict[str, Any]) -> None:
        task.status = status
        task.error = error
        task.finished_at = time.time()
        self._record(task, error["message"])
        self._emit(task)

    # -- control ------------------------------------------------------------------------------
    def wait(self, task_id: str, timeout: float | None = None) -> bool:
        """Block until the task and every follow-up of its chain are final; False on timeout."""
        with self._lock:
            root = task_id
            live = self._live.get(task_id)
            if live is not None:
                root = live.root_id
            if root not in self._outstanding:
                return True
            done = self._done.setdefault(root, threading.Event())
        return done.wait(timeout)

    def cancel(
        self, task_id: str, *, status: str = st.CANCELLED, reason: str = "cancelled"
    ) -> Task:
        """Cancel a queued or delayed task; a running or finished one cannot be cancelled.

        Housekeeping ends stale tasks the same way with `status=expired`, so a live one never runs.
        """
        if status not in (st.CANCELLED, st.EXPIRED):
            raise ValueError(f"a pending task ends as cancelled or expired, not {status!r}")
        with self._lock:
            task = self._live.get(task_id)
        if task is None:
            stored = self.store.get(task_id)
            if stored is None:
                raise NotFoundError(f"no task with id {task_id}")
            task = stored
            if task.status not in st.PENDING:
                raise UsageError(
                    f"task {task_id} is {task.status}; only queued or delayed "
                    "tasks can be cancelled"
                )
            task.status = status
            task.finished_at = time.time()
            self._record(task, reason)
            self.store.flush()
            return task
        with self._lock:  # a worker claims tasks under the same lock: only one side wins
            current = task.status
            if current in st.PENDING:
                task.status = status
        if current not in st.PENDING:
            raise UsageError(
                f"task {task_id} is {current}; only queued or delayed tasks can be cancelled"
            )
        task.finished_at = time.time()
        self._record(task, reason)
        self._emit(task)
        if self.observer is not None:
            self.observer.ended(task)
        self._finish(task)
        return task

    def finished_elsewhere(self, outcome: dict[str, Any]) -> None:
        """A task this process submitted ended on another worker (its reply arrived): wake
        whoever waits for it. Its follow-ups run there and are not waited for here."""
        with self._lock:
            task = self._live.get(str(outcome.get("id")))
        if task is None or task.status in st.FINAL:
            return
        task.status = str(outcome["status"])
        task.result = outcome.get("result")
        task.error = outcome.get("error")
        task.finished_at = outcome.get("finished_at")
        self._finish(task)

    def live_task(self, task_id: str) -> Task | None:
        """The in-memory task, when this process submitted it and it is not final yet."""
        return self._live.get(task_id)

    def get(self, task_id: str) -> Task | None:
        with self._lock:
            live = self._live.get(task_id)
        return live if live is not None else self.store.get(task_id)


@functools.cache
def _transformations() -> ModuleType:
    """The transformations package, imported when a relationship first needs it (it is large)."""
    import legion.core.transformations as module

    return module


def json_safe(args: dict[str, Any]) -> dict[str, Any]:
    """Validated arguments as JSON values, for the store."""
    return json_args(args)[0]


def json_args(args: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """Validated arguments as JSON values for the store, and their JSON text (written as is)."""
    try:
        return args, json.dumps(args)
    except (TypeError, ValueError):
        text = json.dumps(args, default=str)
        loaded: dict[str, Any] = json.loads(text)
        return loaded, text


def sibling(task: Task, task_id: str) -> Task:
    """A fresh task with the same place in the chain (for a fan-out by the transformation)."""
    return Task(
        function=task.function,
        args={},
        id=task_id,
        parent_id=task.parent_id,
        master_id=task.master_id,
        depth=task.depth,
        chain=task.chain,
        relationship_id=task.relationship_id,
        payload=task.payload,
        record=task.record,
        trace=task.trace,
    )
