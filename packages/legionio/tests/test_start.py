"""`legionio start` as a user runs it: a real process serving real HTTP."""

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

LEGIONIO = [sys.executable, "-c", "from legion.app.cli.main import legionio; legionio()"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_start_serves_health_until_stopped(legion_home: Path) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [*LEGIONIO, "start", "--lite", "--http-port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )
    try:
        body = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and body is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=1) as r:
                    body = json.load(r)
            except OSError:
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                time.sleep(0.1)
        assert body is not None and body["data"]["status"] == "ok"
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=20)
    assert f"REST API on http://127.0.0.1:{port}" in err
    assert re.search(r"extensions: [a-z, ]*\bping\b", err)


def test_start_off_loopback_requires_credentials(node_process: Callable[..., Any]) -> None:
    base, proc = node_process("--host", "0.0.0.0")  # health stays open to probes
    try:
        urllib.request.urlopen(f"{base}/api/v1/tasks", timeout=5)
        raise AssertionError("an off-loopback API answered without credentials")
    except urllib.error.HTTPError as exc:
        assert exc.code == 401
        assert json.load(exc)["error"]["code"] == "unauthorized"
    proc.terminate()
    _, err = proc.communicate(timeout=30)
    assert "API auth: required on 0.0.0.0 (a non-loopback address)" in err
    assert "Traceback" not in err


def test_start_on_a_busy_port_says_so() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        out = subprocess.run(
            [*LEGIONIO, "start", "--http-port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert out.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in out.stderr and "--http-port" in out.stderr
