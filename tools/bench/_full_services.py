"""Services and processes for tools/bench/full_mode.py: the service URLs and their checks,
worker processes in process groups of their own (always stopped), RabbitMQ queue probes and
deletion of the queues a run declared, Redis counters, and RSS sampling from /proc."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

AMQP_URL = os.environ.get("LEGION_BENCH_AMQP_URL") or "amqp://guest:guest@127.0.0.1:5672/%2F"
POSTGRES_URL = (
    os.environ.get("LEGION_BENCH_POSTGRES_URL") or "postgresql://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("LEGION_BENCH_REDIS_URL") or "redis://127.0.0.1:6379/0"
POLL = 0.005  # completion polling interval (seconds), the same for every system


class BenchError(Exception):
    """A problem the benchmark reports as one line (a service down, a worker that never came)."""


# -- services -------------------------------------------------------------------------------------
def check_services() -> None:
    """Raise BenchError naming the first service that does not answer."""
    import pika  # type: ignore[import-untyped]
    import redis
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    try:
        pika.BlockingConnection(pika.URLParameters(AMQP_URL)).close()
    except Exception as exc:
        raise BenchError(f"RabbitMQ at {_safe(AMQP_URL)} unreachable ({_why(exc)})") from None
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except Exception as exc:
        raise BenchError(f"Redis at {REDIS_URL} unreachable ({_why(exc)})") from None
    from legion.core.store.urls import backend_of

    engine = create_engine(backend_of(POSTGRES_URL)[1], poolclass=NullPool)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        raise BenchError(f"PostgreSQL at {POSTGRES_URL} unreachable ({_why(exc)})") from None
    finally:
        engine.dispose()


def _why(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:120]}" if text else type(exc).__name__


def _safe(url: str) -> str:
    from legion.core.settings.redact import redact_url

    return redact_url(url)


def redis_client() -> object:
    import redis

    return redis.Redis.from_url(REDIS_URL)


# -- RabbitMQ -------------------------------------------------------------------------------------
def consumers(queue: str) -> int:
    """Consumers on `queue` (0 when it does not exist yet)."""
    import pika

    connection = pika.BlockingConnection(pika.URLParameters(AMQP_URL))
    try:
        ok = connection.channel().queue_declare(queue, passive=True)
        return int(ok.method.consumer_count)
    except Exception:
        return 0
    finally:
        if connection.is_open:
            connection.close()


def delete_amqp(queues: Iterable[str], exchanges: Iterable[str] = ()) -> None:
    """Delete exactly these queues and exchanges (ones this benchmark declared)."""
    import pika
    import pika.exceptions

    connection = pika.BlockingConnection(pika.URLParameters(AMQP_URL))
    try:
        channel = connection.channel()
        for name in queues:
            try:
                channel.queue_delete(name)
            except pika.exceptions.ChannelClosedByBroker:
                channel = connection.channel()
        for name in exchanges:
            try:
                channel.exchange_delete(name)
            except pika.exceptions.ChannelClosedByBroker:
                channel = connection.channel()
    finally:
        if connection.is_open:
            connection.close()


# -- processes ------------------------------------------------------------------------------------
@dataclass
class Group:
    """Worker processes started in a session of their own; `stop` ends the whole group."""

    argv: list[str]
    env: dict[str, str]
    cwd: Path | None = None
    log: Path | None = None
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> Group:
        out = open(self.log, "ab") if self.log else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            self.argv,
            env=self.env,
            cwd=self.cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = 30.0) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            _signal_group(self.process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout)
        _signal_group(self.process.pid, signal.SIGKILL)  # whatever of the group is left
        if self.process.poll() is None:
            self.process.wait()

    def tail(self, lines: int = 3) -> str:
        if self.log is None or not self.log.exists():
            return ""
        text = self.log.read_text(errors="replace").strip().splitlines()
        return " | ".join(line.strip() for line in text[-lines:])


def _signal_group(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def wait_until(what: str, check: Callable[[], bool], timeout: float, group: Group) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if not group.alive():
            raise BenchError(f"{what}: the worker exited ({group.tail() or 'no output'})")
        if time.monotonic() > deadline:
            raise BenchError(f"{what}: not within {timeout:.0f}s ({group.tail() or 'no output'})")
        time.sleep(0.2)


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return sorted(found)


def rss_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


@dataclass
class RssSampler:
    """Every `interval` seconds: VmRSS of each child of `parent` (its worker processes)."""

    parent: int
    interval: float = 1.0
    samples: list[tuple[float, dict[int, int]]] = field(default_factory=list)
    marks: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def start(self) -> RssSampler:
        self._thread.start()
        return self

    def mark(self, name: str) -> None:
        """Remember the next sample's index under `name` (e.g. the end of warm-up)."""
        self.marks[name] = len(self.samples)

    def _loop(self) -> None:
        while True:
            sample = {p: r for p in children_of(self.parent) if (r := rss_kib(p)) is not None}
            self.samples.append((time.monotonic(), sample))
            if self._stop.wait(self.interval):
                return

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)


def loadavg() -> tuple[float, float, float]:
    with open("/proc/loadavg") as f:
        one, five, fifteen = f.read().split()[:3]
    return float(one), float(five), float(fifteen)
