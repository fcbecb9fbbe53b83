"""The task write path: batches written once per task, multi-row statements, and a writer thread
that sleeps while nothing changes and flushes on a full batch, its deadline or when urged."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from legion.core.engine import task as st
from legion.core.engine.plane import LocalPlane
from legion.core.engine.task import Task
from legion.core.store import migrate
from legion.core.store.batch import BatchSQL, chunk_sizes
from legion.core.store.database import make_engine
from legion.core.store.tasks import COLUMNS, TaskStore


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'legion.db'}")
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


def count(db: Engine, sql: str, **params: Any) -> int:
    with db.connect() as conn:
        return int(conn.execute(text(sql), params).scalar_one())


def eventually(check: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.01)
    return check()


def test_a_task_finished_within_one_batch_is_written_once_with_every_log_line(
    db: Engine,
) -> None:
    store = TaskStore(db)
    task = Task(function="x.y.z", args={"a": 1})
    store.record(task, "submitted")
    task.status = st.RUNNING
    store.record(task)
    task.status = st.COMPLETED
    task.result = {"ok": True}
    store.record(task)
    assert store.backlog == 3
    assert store.flush() == 1  # one row, in its final state
    assert store.backlog == 0
    stored = store.get(task.id)
    assert stored is not None and stored.status == st.COMPLETED and stored.result == {"ok": True}
    assert [line["status"] for line in store.logs(task.id)] == ["queued", "running", "completed"]
    assert store.logs(task.id)[0]["message"] == "submitted"


def test_a_batch_bigger_than_one_statement_is_written_whole(db: Engine) -> None:
    store = TaskStore(db)
    tasks = [Task(function="x.y.z", args={"i": i}) for i in range(700)]
    for task in tasks:
        store.record(task)
    for task in tasks:
        task.status = st.COMPLETED
        store.record(task)
    assert store.flush() == 700
    assert count(db, "SELECT count(*) FROM tasks WHERE status = 'completed'") == 700
    assert count(db, "SELECT count(*) FROM task_logs") == 1400
    again = Task(function="x.y.z", args={}, id=tasks[5].id, status=st.FAILED, version=2)
    store.record(again)  # a later change of a stored task updates its row
    store.flush()
    assert count(db, "SELECT count(*) FROM tasks") == 700
    assert count(db, "SELECT count(*) FROM tasks WHERE status = 'failed'") == 1


def test_an_older_version_never_replaces_a_newer_row(db: Engine) -> None:
    """Another process may write a task's earlier state after its later one."""
    publisher, worker = TaskStore(db), TaskStore(db)
    task = Task(function="x.y.z", args={})
    publisher.record(task)  # version 1: queued, still in the publisher's batch
    copy = Task(function="x.y.z", args={}, id=task.id, version=task.version)
    copy.status = st.RUNNING
    worker.record(copy)
    copy.status = st.COMPLETED
    worker.record(copy)
    worker.flush()  # version 3: completed
    publisher.flush()  # the late version 1 loses
    stored = worker.get(task.id)
    assert stored is not None and stored.status == st.COMPLETED and stored.version == 3
    assert [line["status"] for line in worker.logs(task.id)] == ["running", "completed", "queued"]


@pytest.mark.parametrize("rows", [0, 1, 5, 31, 32, 33, 100, 1000])
def test_chunks_cover_every_row_with_few_statement_shapes(rows: int) -> None:
    sizes = list(chunk_sizes(rows, 32))
    assert sum(sizes) == rows
    assert all(size & (size - 1) == 0 and size <= 32 for size in sizes)
    sql = BatchSQL("sqlite", "qmark", COLUMNS, max_params=19 * 32)
    lines = [("id", 1.0, "queued", None)] * rows
    statements = list(sql.statements([tuple(range(len(COLUMNS)))] * rows, lines))
    assert sum(len(params) for _, params in statements) == rows * (len(COLUMNS) + 4)


def test_a_failed_write_keeps_the_changes_for_the_next_flush(
    db: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = TaskStore(db)
    task = Task(function="x.y.z", args={})
    store.record(task)

    def broken(rows: Any, lines: Any) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(store, "_write", broken)
    with pytest.raises(RuntimeError):
        store.flush()
    assert store.backlog == 1
    monkeypatch.undo()
    assert store.flush() == 1
    assert store.get(task.id) is not None


def test_the_writer_sleeps_while_nothing_changes(db: Engine) -> None:
    store = TaskStore(db, flush_interval=0.01)
    writes: list[int] = []
    original = store._write
    store._write = lambda rows, lines: (writes.append(len(rows)), original(rows, lines))[1]  # type: ignore[method-assign]
    store.start()
    try:
        time.sleep(0.2)  # twenty intervals with nothing recorded: no flush at all
        assert writes == []
        task = Task(function="x.y.z", args={})
        store.record(task)
        # Written by the writer thread, without a read flushing it.
        assert eventually(lambda: count(db, "SELECT count(*) FROM tasks") == 1)
        assert writes == [1]
    finally:
        store.stop()


def test_a_full_batch_or_urge_flushes_before_the_deadline(db: Engine) -> None:
    store = TaskStore(db, flush_interval=5.0, batch=10)  # the deadline is far away
    store.start()
    try:
        for _ in range(10):
            store.record(Task(function="x.y.z", args={}))
        assert eventually(lambda: count(db, "SELECT count(*) FROM tasks") == 10, timeout=4)
        store.record(Task(function="x.y.z", args={}))
        store.urge()
        assert eventually(lambda: count(db, "SELECT count(*) FROM tasks") == 11, timeout=4)
    finally:
        store.stop()


def test_stop_writes_what_is_left(db: Engine) -> None:
    store = TaskStore(db, flush_interval=5.0)
    store.start()
    store.record(Task(function="x.y.z", args={}))
    store.stop()
    assert count(db, "SELECT count(*) FROM tasks") == 1
    assert store.writer is None


def test_a_worker_runs_the_follow_up_it_is_handed_back_itself() -> None:
    ran: list[tuple[str, str]] = []
    done = threading.Event()
    follow_up = Task(function="b", args={})

    def handler(task: Task) -> Task | None:
        ran.append((task.function, threading.current_thread().name))
        if task.function == "a":
            return follow_up
        done.set()
        return None

    plane = LocalPlane(handler, workers=3)
    plane.start()
    try:
        plane.submit(Task(function="a", args={}))
        assert done.wait(10)
    finally:
        plane.stop()
    assert [fn for fn, _ in ran] == ["a", "b"]
    assert ran[0][1] == ran[1][1]
