"""One child process: output kept up to a cap, the whole process group killed at the deadline.

Pipes are drained on threads so a chatty command never blocks on a full pipe, and memory stays
bounded however much it writes.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Mapping
from typing import IO, Any

from legion.extensions.exec.errors import CommandNotStarted

CHUNK = 64 * 1024
# After a kill, how long to wait for the pipes to close (a process that left the group may hold
# them open; its output is then returned as read so far).
DRAIN_AFTER_KILL = 5.0
POSIX = os.name == "posix"


class Capture:
    """Reads a pipe to its end on a thread, keeping the first `limit` bytes and counting all."""

    def __init__(self, pipe: IO[bytes], limit: int) -> None:
        self.pipe = pipe
        self.limit = limit
        self.kept = bytearray()
        self.total = 0
        self.thread = threading.Thread(target=self._read, name="lex-exec-capture", daemon=True)
        self.thread.start()

    def _read(self) -> None:
        fd = self.pipe.fileno()
        try:
            while chunk := os.read(fd, CHUNK):
                self.total += len(chunk)
                room = self.limit - len(self.kept)
                if room > 0:
                    self.kept += chunk[:room]
        except OSError:
            pass

    def join(self, seconds: float) -> bool:
        """Wait up to `seconds` for end of output; True when it was reached."""
        self.thread.join(max(0.0, seconds))
        return not self.thread.is_alive()

    def close(self) -> None:
        if not self.thread.is_alive():
            self.pipe.close()

    def text(self) -> str:
        return bytes(self.kept).decode("utf-8", errors="replace")

    @property
    def truncated(self) -> bool:
        return self.total > len(self.kept)


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the command and everything it started in its process group."""
    if POSIX:
        with contextlib.suppress(ProcessLookupError):  # the group is already gone
            os.killpg(proc.pid, signal.SIGKILL)
    else:  # pragma: no cover - no process groups to kill
        proc.kill()


def run_process(
    executable: str,
    argv: list[str],
    *,
    cwd: str | None,
    env: Mapping[str, str] | None,
    timeout: float,
    max_bytes: int,
) -> dict[str, Any]:
    """Run `argv` with `executable` as the program (no shell); returns its outcome, never raises
    for a non-zero exit or a timeout."""
    started = time.monotonic()
    deadline = started + timeout
    try:
        proc = subprocess.Popen(
            argv,
            executable=executable,
            cwd=cwd,
            env=None if env is None else dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            shell=False,
            start_new_session=POSIX,  # its own process group, killed as a whole
        )
    except (OSError, ValueError) as exc:
        detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise CommandNotStarted(f"could not start {argv[0]!r}: {detail}") from None
    assert proc.stdout is not None and proc.stderr is not None
    out, err = Capture(proc.stdout, max_bytes), Capture(proc.stderr, max_bytes)
    timed_out = False
    try:
        try:
            proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            timed_out = True
        if not timed_out:
            # Output ends when every process holding the pipes is done, not just the first one.
            drained = [c.join(deadline - time.monotonic()) for c in (out, err)]
            timed_out = not all(drained)
        if timed_out:
            kill_group(proc)
            proc.wait()
            for capture in (out, err):
                capture.join(DRAIN_AFTER_KILL)
    except BaseException:  # an engine time limit or an interrupt: leave nothing running
        kill_group(proc)
        proc.wait(DRAIN_AFTER_KILL)
        raise
    finally:
        out.close()
        err.close()
    return {
        "returncode": proc.returncode,
        "stdout": out.text(),
        "stderr": err.text(),
        "elapsed_ms": round((time.monotonic() - started) * 1000, 1),
        "truncated": out.truncated or err.truncated,
        "timed_out": timed_out,
        "stdout_bytes": out.total,
        "stderr_bytes": err.total,
    }
