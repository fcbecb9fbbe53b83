"""A real node for the API tests: a runtime with its engine running, served by uvicorn on a
free loopback port in a thread, under its own LEGION_HOME."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest


@dataclass
class Node:
    url: str
    runtime: Any
    app: Any

    def client(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30, **kwargs)


def wait_until(check: Any, what: str, deadline: float = 30.0) -> Any:
    """Poll `check` until it returns something truthy, failing after `deadline` seconds."""
    end = time.monotonic() + deadline
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.02)


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    import uvicorn

    from legion.app.api.app import create_app
    from legion.app.operations import Operations
    from legion.core.catalog import Catalog
    from legion.core.runtime import Runtime
    from legion.core.settings import load_settings

    home: Path = tmp_path_factory.mktemp("api-node")
    (home / "settings").mkdir()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LEGION_HOME", str(home))
        mp.setenv("LEGION_SETTINGS_DIRS", str(home / "settings"))
        for name in ("LEGION_DISABLED_EXTENSIONS", "LEGION_MODE", "LEGION_DEBUG"):
            mp.delenv(name, raising=False)
        settings = load_settings({"api": {"max_body_bytes": 64 * 1024}})
        runtime = Runtime.open(settings, Catalog.load(settings))
    runtime.start(recover=False)
    app = create_app(runtime.catalog, operations=Operations(runtime, engine_running=True))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", lifespan="on", timeout_graceful_shutdown=5)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: server.started, "the server to start")
        yield Node(url, runtime, app)
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()
        runtime.stop()
