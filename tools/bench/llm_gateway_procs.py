"""Process management for tools/bench/llm_gateway.py: free ports, servers started in their own
process groups and always killed on the way out, readiness probes, and RSS of a process tree."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any


def free_port() -> int:
    """A port the kernel considers free right now (bind to 0, read it back, release it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Server:
    """One server process in a new session (its own process group), so stopping it also stops
    every worker or child it spawned."""

    def __init__(
        self, name: str, argv: Sequence[str], log: Path, env: dict[str, str] | None = None
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.log = log
        self._log_file = log.open("wb")
        self.proc = subprocess.Popen(
            self.argv,
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def log_tail(self, lines: int = 15) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, grace: float = 5.0) -> None:
        """SIGTERM to the group, SIGKILL to whatever is left after `grace` seconds."""
        try:
            if self.alive():
                os.killpg(self.proc.pid, signal.SIGTERM)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.proc.wait(grace)
            # The leader may be gone while its children (workers) still run in the group.
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        finally:
            if self.proc.poll() is None:
                self.proc.wait(5)
            self._log_file.close()


class Fleet:
    """Every server of one benchmark run; `with Fleet() as fleet:` stops them all on exit, on
    SIGINT and on SIGTERM (both raise KeyboardInterrupt, even where SIGINT was inherited as
    ignored, so the `finally` blocks run)."""

    def __init__(self) -> None:
        self.servers: list[Server] = []
        self._previous: dict[int, Any] = {}

    def start(
        self, name: str, argv: Sequence[str], log: Path, env: dict[str, str] | None = None
    ) -> Server:
        server = Server(name, argv, log, env)
        self.servers.append(server)
        return server

    def stop(self, server: Server) -> None:
        server.stop()
        if server in self.servers:
            self.servers.remove(server)

    def __enter__(self) -> Fleet:
        for sig in (signal.SIGINT, signal.SIGTERM):
            self._previous[sig] = signal.signal(sig, _interrupt)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            for server in reversed(self.servers):
                server.stop()
            self.servers.clear()
        finally:
            for sig, handler in self._previous.items():
                signal.signal(sig, handler)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def http(
    method: str,
    url: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
    timeout: float = 10.0,
) -> tuple[int, bytes]:
    """One loopback request from the orchestrator (fault switches, readiness probes)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status: int = response.status
            return status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def wait_ready(
    server: Server,
    url: str,
    body: Any,
    headers: dict[str, str],
    timeout: float,
) -> None:
    """Poll with a real request until it answers 2xx; fail early if the process died."""
    deadline = time.monotonic() + timeout
    last = "no answer yet"
    while time.monotonic() < deadline:
        if not server.alive():
            lines = [line for line in server.log_tail(40).splitlines() if line.strip()]
            raise RuntimeError(f"{server.name} exited: {lines[-1] if lines else 'no output'}")
        try:
            status, payload = http("POST", url, body, headers, timeout=10)
            if 200 <= status < 300:
                return
            last = f"HTTP {status}: {payload[:300]!r}"
        except (OSError, urllib.error.URLError) as exc:
            last = str(exc)
        time.sleep(0.25)
    raise RuntimeError(f"{server.name} not ready after {timeout:.0f}s ({last})")


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        # The command name is in parentheses and may contain spaces: ppid follows the last ')'.
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(entry))
    return tree


def rss_kib(pid: int) -> int:
    """VmRSS of `pid` plus every descendant, in KiB (/proc/<pid>/status)."""
    tree = _children()
    total = 0
    pending = [pid]
    while pending:
        current = pending.pop()
        pending.extend(tree.get(current, []))
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
                    break
        except OSError:
            continue
    return total
