"""The writer keeps requests unaffected by the database: it never blocks, never raises, counts
what it could not keep, and resumes when the database comes back."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select, text

from legion.llm.ledger.record import LedgerRecord
from legion.llm.ledger.schema import ledger, open_engine
from legion.llm.ledger.writer import LedgerWriter

WaitFor = Callable[..., bool]


def record(request_id: str, **fields: Any) -> LedgerRecord:
    fields.setdefault("model_name", "fast")
    return LedgerRecord(request_id=request_id, **fields)


def count_rows(url: str, schema: str | None = None) -> int:
    engine = open_engine(url, schema=schema)
    try:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(ledger)).scalar_one())
    finally:
        engine.dispose()


@pytest.fixture
def writers() -> Iterator[list[LedgerWriter]]:
    """Writers to stop at the end of the test, whatever happened."""
    started: list[LedgerWriter] = []
    yield started
    for writer in started:
        writer.stop(timeout=0.2)


def start(writers: list[LedgerWriter], url: str, **options: Any) -> LedgerWriter:
    options.setdefault("retry_initial", 0.01)
    options.setdefault("retry_max", 0.05)
    writer = LedgerWriter(url, **options)
    writer.start()
    writers.append(writer)
    return writer


def test_records_reach_sqlite_in_batches(sqlite_url: str, writers: list[LedgerWriter]) -> None:
    writer = start(writers, sqlite_url, batch_size=7)
    for i in range(50):
        assert writer.submit(record(f"r{i}", cost_usd=0.01, input_tokens=i))
    assert writer.flush()
    assert writer.stats() == {"written": 50, "dropped": 0, "queued": 0, "last_error": None}
    assert count_rows(sqlite_url) == 50


def test_sqlite_ledger_uses_wal(sqlite_url: str, writers: list[LedgerWriter]) -> None:
    writer = start(writers, sqlite_url)
    writer.submit(record("r1"))
    assert writer.flush()
    engine = open_engine(sqlite_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
    finally:
        engine.dispose()


def test_stop_writes_what_is_queued(sqlite_url: str) -> None:
    writer = LedgerWriter(sqlite_url)
    writer.start()
    for i in range(20):
        writer.submit(record(f"r{i}"))
    writer.stop(timeout=10.0)
    assert writer.stats()["written"] == 20
    assert count_rows(sqlite_url) == 20
    # After stop nothing is accepted, and saying so does not raise.
    assert writer.submit(record("late")) is False
    assert writer.stats()["dropped"] == 1


def test_submit_before_start_is_dropped_not_raised(sqlite_url: str) -> None:
    writer = LedgerWriter(sqlite_url)
    assert writer.submit(record("r1")) is False
    assert writer.stats()["dropped"] == 1


def test_full_queue_drops_instead_of_blocking(
    tmp_path: Path, writers: list[LedgerWriter], thread_errors: list[BaseException]
) -> None:
    # The ledger's directory cannot be created (a file is in the way), so nothing drains.
    (tmp_path / "blocked").write_text("not a directory")
    writer = start(writers, f"sqlite:///{tmp_path / 'blocked' / 'ledger.db'}", queue_size=5)
    results = [writer.submit(record(f"r{i}")) for i in range(30)]
    assert results[:5] == [True] * 5
    assert results[5:] == [False] * 25
    stats = writer.stats()
    assert stats["dropped"] == 25
    assert stats["queued"] == 5
    assert thread_errors == []


def test_unreachable_postgres_never_escapes(
    closed_port: int,
    writers: list[LedgerWriter],
    thread_errors: list[BaseException],
    wait_for: WaitFor,
) -> None:
    writer = start(writers, f"postgresql://postgres@127.0.0.1:{closed_port}/test", queue_size=10)
    for i in range(40):
        assert writer.submit(record(f"r{i}")) in (True, False)
    assert wait_for(lambda: writer.stats()["last_error"] is not None)
    stats = writer.stats()
    assert "cannot open the ledger" in str(stats["last_error"])
    assert stats["dropped"] == 30
    assert stats["written"] == 0
    writer.stop(timeout=0.2)
    # What was still queued when the writer gave up is dropped too: nothing is lost silently.
    assert writer.stats()["dropped"] == 40
    assert writer.stats()["queued"] == 0
    assert thread_errors == []


def test_password_never_reaches_the_error(
    closed_port: int, writers: list[LedgerWriter], wait_for: WaitFor
) -> None:
    writer = start(writers, f"postgresql://postgres:s3cret@127.0.0.1:{closed_port}/test")
    assert wait_for(lambda: writer.stats()["last_error"] is not None)
    assert "s3cret" not in str(writer.stats()["last_error"])
    assert "s3cret" not in repr(writer)


def test_sqlite_recovers_after_the_table_disappears(
    sqlite_url: str,
    writers: list[LedgerWriter],
    thread_errors: list[BaseException],
    wait_for: WaitFor,
) -> None:
    writer = start(writers, sqlite_url)
    writer.submit(record("before"))
    assert writer.flush()

    engine = create_engine(sqlite_url)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE llm_ledger"))
    engine.dispose()

    writer.submit(record("lost"))
    assert wait_for(lambda: writer.stats()["dropped"] == 1)
    assert "cannot write to the ledger" in str(writer.stats()["last_error"])

    writer.submit(record("after"))
    assert writer.flush()
    assert wait_for(lambda: writer.stats()["written"] == 2)
    assert writer.stats()["last_error"] is None
    assert count_rows(sqlite_url) == 1  # the table was re-created and "after" is in it
    assert thread_errors == []


def test_postgres_round_trip_and_recovery(
    pg_schema: tuple[str, str],
    writers: list[LedgerWriter],
    thread_errors: list[BaseException],
    wait_for: WaitFor,
) -> None:
    url, schema = pg_schema
    # A plain postgresql:// URL means psycopg 3.
    writer = start(writers, url.replace("postgresql+psycopg://", "postgresql://"), schema=schema)
    for i in range(10):
        writer.submit(record(f"r{i}", cost_usd=0.5, caller="alice"))
    assert writer.flush()
    assert writer.stats()["written"] == 10
    assert count_rows(url, schema) == 10

    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    writer.submit(record("lost"))
    assert wait_for(lambda: writer.stats()["dropped"] == 1)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()

    writer.submit(record("after"))
    assert writer.flush()
    assert wait_for(lambda: writer.stats()["written"] == 11)
    assert count_rows(url, schema) == 1
    assert thread_errors == []
