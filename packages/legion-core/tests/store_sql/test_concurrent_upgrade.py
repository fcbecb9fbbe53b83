"""Two processes upgrading one empty schema at once: one migrates, the other waits for it and
finds the schema at head; neither fails and the schema matches the models."""

from __future__ import annotations

import subprocess
import sys

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from legion.core.store import migrate
from legion.core.store.database import make_engine
from legion.core.store.models import METADATA
from legion.core.store.scratch import ScratchStore

# Connect first, then wait for the word, so both processes call `upgrade` together.
UPGRADER = """
import sys
from legion.core.store import migrate
from legion.core.store.database import make_engine

engine = make_engine(sys.argv[1])
engine.connect().close()
print("ready", flush=True)
sys.stdin.readline()
print(migrate.upgrade(engine).current, flush=True)
"""


def test_two_processes_upgrading_at_once_leave_one_clean_schema(
    empty_scratch: ScratchStore,
) -> None:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", UPGRADER, empty_scratch.url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        for proc in procs:
            assert proc.stdout is not None
            assert proc.stdout.readline().strip() == "ready", proc.stderr
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        outcomes = [proc.communicate(timeout=120) for proc in procs]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
    for proc, (out, err) in zip(procs, outcomes, strict=True):
        assert proc.returncode == 0, err
        assert out.strip() == migrate.HEAD
    engine = make_engine(empty_scratch.url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).all() == [
                (migrate.HEAD,)
            ]
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, METADATA) == []
    finally:
        engine.dispose()
