"""Celery and raw Dramatiq on the same RabbitMQ for tools/bench/full_mode.py.

Each peer gets a small app module written to a temporary directory (imported by its own CLI
worker and by this process, which publishes), a queue name of its own and Redis keys of its own.
A no-op task INCRs a Redis counter; a run is done when the counter reaches its target.
- Celery: amqp broker, `task_acks_late=True`, `broker_transport_options={"confirm_publish":
  True}`, `celery worker -P prefork -c 2` (two processes execute tasks).
- Dramatiq: `RabbitmqBroker(confirm_delivery=True)`, `dramatiq --processes 2 --threads 4`.
"""

from __future__ import annotations

import importlib
import os
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _full_services import (
    AMQP_URL,
    REDIS_URL,
    BenchError,
    Group,
    consumers,
    delete_amqp,
    redis_client,
    wait_until,
)

STEPS = 20
RUN_TIMEOUT = 900.0
BULK_POLL = 0.05
CHAIN_POLL = 0.005

CELERY_APP = '''"""Celery side of the full-mode benchmark."""
import os

import redis
from celery import Celery

QUEUE = os.environ["FULLBENCH_QUEUE"]
KEY = os.environ["FULLBENCH_KEY"]
app = Celery("fullbench", broker=os.environ["FULLBENCH_AMQP"])
app.conf.update(
    task_acks_late=True,
    broker_transport_options={"confirm_publish": True},
    broker_connection_retry_on_startup=True,
    task_default_queue=QUEUE,
    task_default_exchange=QUEUE,
    task_default_routing_key=QUEUE,
    task_ignore_result=True,
    worker_enable_remote_control=False,
    worker_hijack_root_logger=False,
)
counter = redis.Redis.from_url(os.environ["FULLBENCH_REDIS"])


@app.task(name="fullbench.noop")
def noop():
    counter.incr(KEY)
'''

DRAMATIQ_APP = '''"""Dramatiq side of the full-mode benchmark."""
import os

import dramatiq
import redis
from dramatiq.brokers.rabbitmq import RabbitmqBroker

QUEUE = os.environ["FULLBENCH_QUEUE"]
KEY = os.environ["FULLBENCH_KEY"]
broker = RabbitmqBroker(url=os.environ["FULLBENCH_AMQP"], confirm_delivery=True)
dramatiq.set_broker(broker)
counter = redis.Redis.from_url(os.environ["FULLBENCH_REDIS"])


@dramatiq.actor(actor_name="fullbench_noop", queue_name=QUEUE)
def noop():
    counter.incr(KEY)
'''


class Peer:
    """A peer's worker group plus a publisher in this process."""

    name = "peer"
    app_source = ""
    expected_consumers = 1

    def __init__(self, processes: int = 2, threads: int = 4) -> None:
        self.processes, self.threads = processes, threads
        self.tmp = Path(tempfile.mkdtemp(prefix=f"{self.name}-full-bench-"))
        token = secrets.token_hex(4)
        self.queue = f"fullbench{self.name}{token}"
        self.key = f"fullbench:{self.name}:{token}"
        self.module_name = f"fullbench_{self.name}_{token}"
        self.redis: Any = redis_client()
        self.workers: Group | None = None
        self._module: Any = None
        self.env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(
                filter(None, [str(self.tmp), os.environ.get("PYTHONPATH")])
            ),
            "FULLBENCH_QUEUE": self.queue,
            "FULLBENCH_KEY": self.key,
            "FULLBENCH_AMQP": AMQP_URL,
            "FULLBENCH_REDIS": REDIS_URL,
        }
        try:
            (self.tmp / f"{self.module_name}.py").write_text(self.app_source)
            self.workers = Group(self.argv(), self.env, cwd=self.tmp, log=self.tmp / "worker.log")
            self.workers.start()
            wait_until(
                f"{self.name}: {self.expected_consumers} consumer(s) on {self.queue}",
                lambda: consumers(self.queue) >= self.expected_consumers,
                120,
                self.workers,
            )
            self._module = self._import()
        except BaseException:
            self.close()
            raise

    def _import(self) -> Any:
        for name in ("FULLBENCH_QUEUE", "FULLBENCH_KEY", "FULLBENCH_AMQP", "FULLBENCH_REDIS"):
            os.environ[name] = self.env[name]
        if str(self.tmp) not in sys.path:
            sys.path.insert(0, str(self.tmp))
        importlib.invalidate_caches()
        return importlib.import_module(self.module_name)

    def argv(self) -> list[str]:
        raise NotImplementedError

    def send(self) -> None:
        raise NotImplementedError

    def send_chain(self) -> None:
        raise NotImplementedError

    # -- timing -------------------------------------------------------------------------------
    def count(self) -> int:
        return int(self.redis.get(self.key) or 0)

    def _poll(self, target: int, interval: float, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while self.count() < target:
            if self.workers is not None and not self.workers.alive():
                raise BenchError(f"{self.name} worker exited ({self.workers.tail()})")
            if time.monotonic() > deadline:
                return False
            time.sleep(interval)
        return True

    def throughput(self, n: int) -> dict[str, Any]:
        base, send = self.count(), self.send
        started = time.perf_counter()
        for _ in range(n):
            send()
        enqueue = time.perf_counter() - started
        complete = self._poll(base + n, BULK_POLL, RUN_TIMEOUT)
        seconds = time.perf_counter() - started
        out = {"seconds": seconds, "tasks_per_s": n / seconds, "enqueue_s": enqueue}
        if not complete:
            out["incomplete"] = {"done": self.count() - base, "of": n}
        return out

    def chain(self, repeats: int) -> dict[str, Any]:
        times: list[float] = []
        for _ in range(repeats):
            base = self.count()
            started = time.perf_counter()
            self.send_chain()
            if not self._poll(base + STEPS, CHAIN_POLL, 120):
                return {"incomplete": True, "chains_done": len(times)}
            times.append(time.perf_counter() - started)
        total = sum(times)
        return {"seconds": total, "ms_per_step": total / (repeats * STEPS) * 1e3}

    # -- clean-up -----------------------------------------------------------------------------
    def close(self) -> None:
        try:
            if self.workers is not None:
                self.workers.stop()
        finally:
            try:
                self._close_publisher()
            finally:
                try:
                    delete_amqp(*self.declared())
                finally:
                    try:
                        self.redis.delete(self.key)
                    finally:
                        sys.modules.pop(self.module_name, None)
                        shutil.rmtree(self.tmp, ignore_errors=True)

    def _close_publisher(self) -> None:
        pass

    def declared(self) -> tuple[list[str], list[str]]:
        """(queues, exchanges) this peer declared."""
        return [self.queue], []


class CeleryPeer(Peer):
    name = "celery"
    app_source = CELERY_APP
    expected_consumers = 1  # the prefork parent consumes; its 2 children run the tasks

    def argv(self) -> list[str]:
        celery = [sys.executable, "-m", "celery", "-A", self.module_name, "worker"]
        options = ["-P", "prefork", "-c", str(self.processes), "-Q", self.queue]
        quiet = ["--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "warning"]
        return [*celery, *options, *quiet]

    def send(self) -> None:
        self._module.noop.apply_async()

    def send_chain(self) -> None:
        from celery import chain  # type: ignore[import-untyped]

        noop = self._module.noop
        chain(noop.si() for _ in range(STEPS)).apply_async()

    def _close_publisher(self) -> None:
        if self._module is not None:
            self._module.app.close()

    def declared(self) -> tuple[list[str], list[str]]:
        return [self.queue], [self.queue]


class DramatiqPeer(Peer):
    name = "dramatiq"
    app_source = DRAMATIQ_APP

    @property
    def expected_consumers(self) -> int:  # type: ignore[override]
        return self.processes  # one consumer per process on the queue

    def argv(self) -> list[str]:
        dramatiq = [sys.executable, "-m", "dramatiq", self.module_name, "--path", str(self.tmp)]
        options = ["--processes", str(self.processes), "--threads", str(self.threads)]
        return [*dramatiq, *options, "--queues", self.queue]

    def send(self) -> None:
        self._module.noop.send()

    def send_chain(self) -> None:
        import dramatiq

        noop = self._module.noop
        messages = [noop.message_with_options(pipe_ignore=True) for _ in range(STEPS)]
        dramatiq.pipeline(messages, broker=self._module.broker).run()  # type: ignore[no-untyped-call]

    def _close_publisher(self) -> None:
        if self._module is not None:
            self._module.broker.close()

    def declared(self) -> tuple[list[str], list[str]]:
        return [self.queue + s for s in ("", ".DQ", ".XQ")], []


PEERS: dict[str, type[Peer]] = {"celery": CeleryPeer, "dramatiq": DramatiqPeer}
