"""The store on PostgreSQL and MariaDB keeps what SQLite keeps: exact epoch times, case-sensitive
keys, long text, JSON, upserts in multi-row batches, and a schema that matches the models."""

from __future__ import annotations

import time

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, text

from legion.core.engine import task as st
from legion.core.engine.task import Task
from legion.core.store import migrate
from legion.core.store.models import METADATA
from legion.core.store.relationships import RelationshipStore
from legion.core.store.tasks import TaskStore


def test_migrations_build_the_models_schema_and_rerun_as_no_ops(db: Engine) -> None:
    assert migrate.schema_state(db).up_to_date
    with db.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, METADATA) == []
    assert migrate.upgrade(db).current == migrate.HEAD
    with db.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar_one() == 1


def test_epoch_times_round_trip_to_the_microsecond(db: Engine) -> None:
    store = TaskStore(db)
    now = time.time()
    task = Task(function="x.y.z", args={}, created_at=now, run_at=now + 0.000001)
    store.insert_now(task)
    stored = store.get(task.id)
    assert stored is not None
    assert stored.created_at == now and stored.run_at == now + 0.000001


def test_keys_are_case_sensitive(db: Engine) -> None:
    rels = RelationshipStore(db)
    rels.create_chain("Nightly")
    rels.create_chain("nightly")
    assert [c.name for c in rels.chains()] == ["Nightly", "nightly"]
    store = TaskStore(db)
    store.insert_now(Task(function="x.y.z", args={}, idempotency_key="Key-1"))
    assert store.find_idempotent("key-1") is None
    assert store.find_idempotent("Key-1") is not None


def test_long_text_and_json_round_trip(db: Engine) -> None:
    store = TaskStore(db)
    message = "traceback line ✓\n" * 8000  # ~150 KB: past MySQL's TEXT
    result = {"naïve": ["日本", 1.5, None, True], "nested": {"deep": [{"x": 1}]}}
    task = Task(function="x.y.z", args={"emoji": "🚀"}, status=st.COMPLETED, result=result)
    store.insert_now(task, message)
    stored = store.get(task.id)
    assert stored is not None and stored.result == result and stored.args == {"emoji": "🚀"}
    assert store.logs(task.id)[0]["message"] == message


def test_multi_row_batches_insert_then_update_in_place(db: Engine) -> None:
    store = TaskStore(db)
    tasks = [Task(function="x.y.z", args={"i": i}) for i in range(700)]
    for task in tasks:
        store.record(task)
    assert store.flush() == 700
    for task in tasks[:300]:
        task.status = st.COMPLETED
        task.result = {"i": task.args["i"]}
        store.record(task)
    assert store.flush() == 300
    done, total = store.query(status=st.COMPLETED, limit=1000)
    assert total == 300 and {t.result["i"] for t in done} == set(range(300))
    _, everything = store.query(limit=1)
    assert everything == 700
    assert len(store.logs(tasks[0].id)) == 2
