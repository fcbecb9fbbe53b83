"""MySQL refuses a statement larger than max_allowed_packet, so the writer splits a batch of big
rows into statements that fit (sizes stay powers of two, so statement shapes stay few)."""

from __future__ import annotations

from sqlalchemy import Engine

from legion.core.engine import task as st
from legion.core.engine.task import Task
from legion.core.store.batch import BatchSQL
from legion.core.store.tasks import COLUMNS, TaskStore


def test_big_rows_are_split_into_statements_under_the_byte_limit() -> None:
    sql = BatchSQL("mysql", "format", COLUMNS, max_bytes=10_000)
    rows = [("x" * 900, *range(len(COLUMNS) - 1)) for _ in range(40)]
    statements = list(sql.statements(rows, []))
    assert sum(len(params) for _, params in statements) == 40 * len(COLUMNS)
    for statement, params in statements:
        count = len(params) // len(COLUMNS)
        assert count & (count - 1) == 0
        assert statement.count("%s") == len(params)
        assert sum(len(v) for v in params if isinstance(v, str)) * 4 <= 10_000


def test_a_batch_bigger_than_the_server_packet_is_written(db: Engine) -> None:
    store = TaskStore(db)
    blob = "y" * (1 << 20)
    tasks = [
        Task(function="x.y.z", args={}, status=st.COMPLETED, result={"blob": blob})
        for _ in range(20)
    ]  # ~20 MB in one flush; MariaDB's default packet is 16 MB
    for task in tasks:
        store.record(task)
    assert store.flush() == 20
    stored = store.get(tasks[-1].id)
    assert stored is not None and stored.result == {"blob": blob}
    assert store.query(status=st.COMPLETED)[1] == 20
