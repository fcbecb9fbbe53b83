"""Celery, Dramatiq and Huey under the three workloads of tools/bench/engine.py.

Configured as in the published side-by-side measurements on these machines:
- Celery: `memory://` broker with `polling_interval=0.001` (its default 1 s poll does ~8 tasks/s)
  and an embedded worker (`celery.contrib.testing.worker.start_worker`), threads pool, c=2.
- Dramatiq: `StubBroker` and a `Worker` with `worker_threads=2`.
- Huey: `MemoryHuey` and an in-process consumer with 2 worker threads polling every 1 ms.
None of them persists anything. The task bodies count themselves (throughput, chains) or stamp
the time their body starts (latency); the enqueuer waits on an event the body sets.
"""

from __future__ import annotations

import logging
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

from engine_common import RUN_TIMEOUT, TASK_TIMEOUT, Clock, Countdown, Sample

COUNTDOWN = Countdown()
STAMPS: list[float] = []
ARRIVED = threading.Event()


def noop() -> None:
    COUNTDOWN.hit()


def step() -> None:
    pass


def last_step(*_: Any) -> None:
    COUNTDOWN.hit()


def probe() -> None:
    STAMPS.append(time.perf_counter())
    ARRIVED.set()


class PeerBench(ABC):
    """The timing shared by every peer; subclasses only know how to send."""

    name = "peer"
    send_noop: Callable[[], Any]
    send_chain: Callable[[], Any]
    send_probe: Callable[[], Any]

    def throughput(self, n: int) -> Sample:
        COUNTDOWN.reset(n)
        send = self.send_noop
        clock = Clock()
        for _ in range(n):
            send()
        enqueue = time.perf_counter() - clock.wall
        complete = COUNTDOWN.done.wait(RUN_TIMEOUT)
        seconds, cpu = clock.stop()
        return Sample(seconds, cpu, enqueue, n, complete=complete)

    def chains(self, n: int) -> Sample:
        COUNTDOWN.reset(n)
        send = self.send_chain
        clock = Clock()
        for _ in range(n):
            send()
        enqueue = time.perf_counter() - clock.wall
        complete = COUNTDOWN.done.wait(RUN_TIMEOUT)
        seconds, cpu = clock.stop()
        return Sample(seconds, cpu, enqueue, 3 * n, complete=complete)

    def latency(self, n: int) -> Sample:
        send = self.send_probe
        STAMPS.clear()
        latencies: list[float] = []
        submits: list[float] = []
        complete = True
        clock = Clock()
        for _ in range(n):
            ARRIVED.clear()
            start = time.perf_counter()
            send()
            submits.append(time.perf_counter() - start)
            if not ARRIVED.wait(TASK_TIMEOUT):
                complete = False
                break
            latencies.append(STAMPS[-1] - start)
        seconds, cpu = clock.stop()
        return Sample(seconds, cpu, sum(submits), n, complete, latencies, submits)

    @abstractmethod
    def close(self) -> None:
        """Stop the peer's worker and release its resources."""


class CeleryBench(PeerBench):
    name = "celery"

    def __init__(self) -> None:
        from celery import Celery, chain  # type: ignore[import-untyped]
        from celery.contrib.testing.worker import (  # type: ignore[import-untyped]
            start_worker,
        )

        app = Celery("bench", broker="memory://", set_as_current=True)
        app.conf.broker_transport_options = {"polling_interval": 0.001}
        t_noop = app.task(name="bench.noop")(noop)
        t_step = app.task(name="bench.step")(step)
        t_last = app.task(name="bench.last_step")(last_step)
        t_probe = app.task(name="bench.probe")(probe)
        self._worker = start_worker(app, pool="threads", concurrency=2, perform_ping_check=False)
        self._worker.__enter__()
        self.send_noop = t_noop.delay
        self.send_probe = t_probe.delay
        self.send_chain = lambda: chain(t_step.si(), t_step.si(), t_last.si()).apply_async()

    def close(self) -> None:
        self._worker.__exit__(None, None, None)


class DramatiqBench(PeerBench):
    name = "dramatiq"

    def __init__(self) -> None:
        import dramatiq
        from dramatiq.brokers.stub import StubBroker

        logging.getLogger("dramatiq").setLevel(logging.WARNING)
        broker = StubBroker()
        dramatiq.set_broker(broker)
        a_noop = dramatiq.actor(actor_name="noop", broker=broker)(noop)
        a_step = dramatiq.actor(actor_name="step", broker=broker)(step)
        a_last = dramatiq.actor(actor_name="last_step", broker=broker)(last_step)
        a_probe = dramatiq.actor(actor_name="probe", broker=broker)(probe)
        self._broker = broker
        self._worker = dramatiq.Worker(broker, worker_threads=2)
        self._worker.start()
        self.send_noop = a_noop.send
        self.send_probe = a_probe.send

        def send_chain() -> None:
            dramatiq.pipeline(
                [
                    a_step.message(),
                    a_step.message_with_options(pipe_ignore=True),
                    a_last.message_with_options(pipe_ignore=True),
                ],
                broker=broker,
            ).run()  # type: ignore[no-untyped-call]

        self.send_chain = send_chain

    def close(self) -> None:
        self._worker.stop()
        self._broker.close()


class HueyBench(PeerBench):
    name = "huey"

    def __init__(self) -> None:
        from huey import MemoryHuey  # type: ignore[import-untyped]

        logging.getLogger("huey").setLevel(logging.WARNING)
        huey = MemoryHuey("bench")
        t_noop = huey.task(name="noop")(noop)
        t_step = huey.task(name="step")(step)
        t_last = huey.task(name="last_step")(last_step)
        t_probe = huey.task(name="probe")(probe)
        self._consumer = huey.create_consumer(
            workers=2, worker_type="thread", initial_delay=0.001, backoff=1.0, max_delay=0.001
        )
        self._consumer.start()
        self.send_noop = t_noop
        self.send_probe = t_probe
        self.send_chain = lambda: huey.enqueue(t_step.s().then(t_step).then(t_last))

    def close(self) -> None:
        self._consumer.stop(graceful=True)


PEERS: dict[str, type[PeerBench]] = {
    "celery": CeleryBench,
    "dramatiq": DramatiqBench,
    "huey": HueyBench,
}
