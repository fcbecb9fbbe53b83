"""Several worker processes under one parent: each is a fresh interpreter (no fork of a process
holding broker connections); a child that dies is started again; SIGTERM stops them all."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field

from legion.core.logging import logger

CHILD_CODE = (
    "import sys; from legion.app.cli.main import legionio; sys.argv[0] = 'legionio'; legionio()"
)
RESTART_DELAY = 1.0


@dataclass
class Child:
    index: int
    process: subprocess.Popen[bytes]
    started: float = field(default_factory=time.monotonic)


def child_argv(root_args: list[str], threads: int, index: int) -> list[str]:
    """The command of child `index`: `legionio start --worker` with one process of its own."""
    return [
        sys.executable,
        "-c",
        CHILD_CODE,
        *root_args,
        "start",
        "--worker",
        "--processes",
        "1",
        "--threads",
        str(threads),
        *(["--recover"] if index == 0 else []),
    ]


def supervise(root_args: list[str], processes: int, threads: int, timeout: float = 60.0) -> int:
    """Run `processes` workers until SIGTERM/SIGINT; returns the exit code for the parent."""
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    children: dict[int, Child] = {}

    def spawn(index: int) -> None:
        process = subprocess.Popen(child_argv(root_args, threads, index), env=os.environ.copy())
        children[index] = Child(index, process)
        logger.info("worker process {} started (pid {})", index, process.pid)

    for index in range(processes):
        spawn(index)
    try:
        while not stop.wait(0.2):
            for index, child in list(children.items()):
                code = child.process.poll()
                if code is None:
                    continue
                logger.warning(
                    "worker process {} (pid {}) exited with {}; starting it again",
                    index,
                    child.process.pid,
                    code,
                )
                if stop.wait(RESTART_DELAY):
                    break
                spawn(index)
    finally:
        for child in children.values():
            if child.process.poll() is None:
                child.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for child in children.values():
            try:
                child.process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pid = child.process.pid
                logger.warning("worker pid {} did not stop in {}s; killing it", pid, timeout)
                child.process.kill()
                child.process.wait()
    return 0
