import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

LEGIONIO = [sys.executable, "-c", "from legion.app.cli.main import legionio; legionio()"]


@pytest.fixture(autouse=True)
def legion_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Each test gets its own LEGION_HOME and settings directory; the host's files never leak in."""
    home = tmp_path / "legion-home"
    (home / "settings").mkdir(parents=True)
    monkeypatch.setenv("LEGION_HOME", str(home))
    monkeypatch.setenv("LEGION_SETTINGS_DIRS", str(home / "settings"))
    for name in ("LEGION_DISABLED_EXTENSIONS", "LEGION_MODE", "LEGION_DEBUG"):
        monkeypatch.delenv(name, raising=False)
    yield home


@pytest.fixture
def node_process() -> Iterator[Callable[..., tuple[str, subprocess.Popen[str]]]]:
    """Starts `legionio start ARGS` on a free port and waits for /api/health; stops it after.
    Returns (base URL, process); the process's stderr is read once it has stopped."""
    started: list[subprocess.Popen[str]] = []

    def start(*args: str, env: dict[str, str] | None = None) -> tuple[str, subprocess.Popen[str]]:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        proc = subprocess.Popen(
            [*LEGIONIO, "start", "--lite", "--http-port", str(port), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **(env or {})},
        )
        started.append(proc)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/health", timeout=1):
                    return base, proc
            except OSError:
                if proc.poll() is not None:
                    raise AssertionError(proc.stderr.read() if proc.stderr else "exited") from None
                if time.monotonic() > deadline:
                    raise AssertionError("the node did not answer /api/health") from None
                time.sleep(0.1)

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.terminate()
            proc.communicate(timeout=30)
