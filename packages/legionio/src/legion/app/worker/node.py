"""One worker process: opens the runtime on the cluster's broker and store, consumes the queues
of the runners it loaded until SIGTERM/SIGINT, then lets running tasks finish and flushes."""

from __future__ import annotations

import os
import signal
import threading
from typing import Any

from legion.core.logging import logger
from legion.core.settings.model import Settings


def run_worker(settings: Settings, catalog: Any, *, recover: bool) -> None:
    from legion.core.engine.actors import ActorRunner
    from legion.core.runtime import Runtime

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    runtime = Runtime.open(settings, catalog)
    recovered = runtime.start(recover=recover)
    actors = ActorRunner(runtime)
    actors.start()
    functions = len(runtime.catalog.registry)
    logger.info(
        "worker {} consuming {} function(s) with {} thread(s)",
        os.getpid(),
        functions,
        settings.engine.workers,
    )
    if recovered:
        logger.info("published {} pending task(s) from the store again", recovered)
    try:
        stop.wait()
    finally:
        logger.info("worker {} stopping: finishing running tasks", os.getpid())
        actors.stop()
        runtime.stop()
        logger.info("worker {} stopped", os.getpid())
