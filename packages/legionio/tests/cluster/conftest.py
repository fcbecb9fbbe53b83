"""Full-mode cluster tests: worker processes on RabbitMQ and PostgreSQL, each test on a scratch
schema and a queue prefix of its own (both removed afterwards), with a test extension the workers
discover through an entry point on PYTHONPATH. Absent services skip, or fail under
LEGION_REQUIRE_SERVICES=1."""

from __future__ import annotations

import base64
import os
import secrets
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.pool import NullPool

from legion.app.worker.supervisor import CHILD_CODE
from legion.core.store.scratch import ScratchStore, create_scratch
from legion.core.store.urls import backend_of
from legion.core.transport import scratch as scratch_queues

AMQP_URL = os.environ.get("LEGION_TEST_AMQP_URL") or "amqp://guest:guest@127.0.0.1:5672/%2F"
POSTGRES_URL = (
    os.environ.get("LEGION_TEST_POSTGRES_URL") or "postgresql://postgres@127.0.0.1:5432/test"
)

EXTENSION = '''
"""A test extension: work that takes a while and leaves a side effect keyed by its own key."""
import os
import time

from legion.core.sdk import Extension
from legion.extensions.faulty.runners import work

extension = Extension(name="faulty", version="0.1", runners=[work])
'''
RUNNER = '''
"""Each call appends start and end lines (key, pid) to a journal and creates the key's file once:
the key is the idempotency key, so a repeated run's side effect is suppressed."""
import os
import time


def run(key: str, ms: int = 10) -> dict:
    journal = os.environ["FAULTY_JOURNAL"]
    with open(journal, "a") as f:
        f.write(f"start {key} {os.getpid()}\\n")
    time.sleep(ms / 1000)
    try:
        fd = os.open(os.path.join(os.environ["FAULTY_EFFECTS"], key), os.O_CREAT | os.O_EXCL)
        os.close(fd)
        effect = "done"
    except FileExistsError:
        effect = "suppressed"
    with open(journal, "a") as f:
        f.write(f"end {key} {os.getpid()}\\n")
    return {"key": key, "effect": effect}
'''
DIST_INFO = "Metadata-Version: 2.1\nName: lex-faulty\nVersion: 0.1\n"
ENTRY_POINTS = "[legion.extensions]\nfaulty = legion.extensions.faulty:extension\n"


def require(reason: str) -> None:
    if os.environ.get("LEGION_REQUIRE_SERVICES") == "1":
        pytest.fail(f"required server {reason}")
    pytest.skip(reason)


def write_extension(root: Path) -> None:
    package = root / "legion" / "extensions" / "faulty"
    (package / "runners").mkdir(parents=True)
    (package / "__init__.py").write_text(textwrap.dedent(EXTENSION))
    (package / "runners" / "__init__.py").write_text("")
    (package / "runners" / "work.py").write_text(textwrap.dedent(RUNNER))
    info = root / "lex_faulty-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(DIST_INFO)
    (info / "entry_points.txt").write_text(ENTRY_POINTS)


@dataclass
class Cluster:
    """Settings (as environment) shared by the test process and its worker processes."""

    env: dict[str, str]
    scratch: ScratchStore
    prefix: str
    journal: Path
    effects: Path
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def db(self) -> Engine:
        return create_engine(backend_of(self.scratch.url)[1], poolclass=NullPool)

    def count(self, sql: str) -> int:
        engine = self.db
        try:
            with engine.connect() as conn:
                return int(conn.execute(text(sql)).scalar_one())
        finally:
            engine.dispose()

    def start_workers(self, processes: int, threads: int) -> subprocess.Popen[bytes]:
        argv = [sys.executable, "-c", CHILD_CODE, "start", "--worker"]
        argv += ["--processes", str(processes), "--threads", str(threads)]
        process = subprocess.Popen(argv, env=self.env, start_new_session=True)
        self.workers.append(process)
        return process

    def wait_for(self, what: str, check: Callable[[], bool], timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while not check():
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"timed out after {timeout}s waiting for {what}; tasks: {self.statuses()}"
                )
            time.sleep(0.1)

    def statuses(self) -> dict[str, int]:
        engine = self.db
        try:
            with engine.connect() as conn:
                rows = conn.execute(text("SELECT status, count(*) FROM tasks GROUP BY status"))
                return {str(status): int(n) for status, n in rows}
        except Exception as exc:  # the store may be what is broken
            return {"unreadable": 0, type(exc).__name__: 0}
        finally:
            engine.dispose()

    def consumers(self, queue: str) -> int:
        import pika

        connection = pika.BlockingConnection(pika.URLParameters(AMQP_URL))
        try:
            ok = connection.channel().queue_declare(queue, durable=True, passive=True)
            return int(ok.method.consumer_count)
        except Exception:
            return 0
        finally:
            if connection.is_open:
                connection.close()

    def journal_lines(self) -> list[tuple[str, str, int]]:
        if not self.journal.exists():
            return []
        lines = []
        for line in self.journal.read_text().splitlines():
            kind, key, pid = line.split()
            lines.append((kind, key, int(pid)))
        return lines

    @staticmethod
    def children_of(pid: int) -> list[int]:
        return children_of(pid)

    def stop(self) -> None:
        for process in self.workers:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.workers:
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def children_of(pid: int) -> list[int]:
    """Child pids from /proc (the supervisor's worker processes)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


@pytest.fixture
def cluster(tmp_path: Path, legion_home: Path) -> Iterator[Cluster]:
    try:
        scratch_queues.purge_queues(AMQP_URL, [])
    except Exception as exc:
        require(f"RabbitMQ at {AMQP_URL} unreachable: {type(exc).__name__}")
    try:
        scratch = create_scratch(POSTGRES_URL)
    except Exception as exc:
        require(f"PostgreSQL at {POSTGRES_URL} unreachable: {type(exc).__name__}")
    extension_root = tmp_path / "ext"
    write_extension(extension_root)
    effects = tmp_path / "effects"
    effects.mkdir()
    prefix = scratch_queues.scratch_prefix()
    env: dict[str, Any] = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(extension_root), os.environ.get("PYTHONPATH")])
        ),
        "LEGION_MODE": "full",
        "LEGION_TRANSPORT__URL": AMQP_URL,
        "LEGION_TRANSPORT__QUEUE_PREFIX": prefix,
        "LEGION_DATA__URL": scratch.url,
        "LEGION_CRYPT__CLUSTER_SECRET": base64.b64encode(secrets.token_bytes(32)).decode(),
        "FAULTY_JOURNAL": str(tmp_path / "journal"),
        "FAULTY_EFFECTS": str(effects),
    }
    made = Cluster(env, scratch, prefix, tmp_path / "journal", effects)
    try:
        yield made
    finally:
        made.stop()
        queues = [f"{prefix}.{name}" for name in ("faulty.runners.work", "legion.runners.default")]
        queues += [f"{prefix}.{q}" for q in _core_queues()]
        scratch_queues.delete_queues(AMQP_URL, queues)
        scratch.drop()


def _core_queues() -> list[str]:
    """The queues of the bundled extensions (the workers declare them all)."""
    from legion.core.catalog import Catalog
    from legion.core.extensions.components import LITE_COMPONENTS
    from legion.core.settings import load_settings
    from legion.core.transport.queues import queues_for

    settings = load_settings()
    catalog = Catalog.load(settings, LITE_COMPONENTS)
    return sorted(q.removeprefix("lex.") for q in queues_for(c.address for c in catalog.registry))
