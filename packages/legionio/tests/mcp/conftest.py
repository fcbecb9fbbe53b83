"""Helpers for the MCP end-to-end tests: the CLI as a process, free ports, a server in a thread."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

LEGION = [sys.executable, "-m", "legion.app.cli"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def free_port() -> Callable[[], int]:
    return _free_port


@contextmanager
def _http_server(*args: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """`legion mcp http ...` as a process; yields its URL once its socket listens."""
    port = _free_port()
    proc = subprocess.Popen(
        [*LEGION, "mcp", "http", "--port", str(port), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )
    assert proc.stderr is not None
    try:
        # The server prints its URL after binding (the socket already listens), so a client
        # connecting after this line is queued, never refused.
        for line in proc.stderr:
            if line.startswith("legion mcp: http://"):
                break
        else:
            raise AssertionError(f"the server exited with {proc.wait()}")
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        proc.terminate()
        proc.communicate(timeout=30)


@pytest.fixture
def http_server() -> Callable[..., Any]:
    return _http_server


@contextmanager
def _serve_in_thread(app: Any) -> Iterator[str]:
    """An ASGI app on a free loopback port in a thread (uvicorn), stopped on exit."""
    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()


@pytest.fixture
def serve_in_thread() -> Callable[..., Any]:
    return _serve_in_thread
