import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
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


@dataclass
class ServedNode:
    """A node served over HTTP for the tests of this module; `secured`: behind the security
    middleware (authentication, RBAC, rate limits, audit)."""

    url: str
    runtime: Any
    app: Any
    secured: bool

    def client(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=60, **kwargs)

    def new_key(self, role: str, name: str = "test") -> str:
        """An API key with this role, written to the node's store (as `legion auth key create`)."""
        from legion.app.security.api_keys import create_key
        from legion.core.store.api_keys import ApiKeyStore

        _, key = create_key(ApiKeyStore(self.runtime.db), name, role)
        return key


@contextmanager
def _serving(app: Any) -> Iterator[str]:
    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", lifespan="on", timeout_graceful_shutdown=5)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 60
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise AssertionError("the API server did not start")
            time.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()


@pytest.fixture(scope="module")
def serve_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., ServedNode]]:
    """`serve_node(settings, secured=...)`: a real node (runtime with its engine running) under
    its own LEGION_HOME, served by uvicorn on a free loopback port in a thread until the module
    ends. `settings` are overrides on top of the defaults (e.g. `{"api": {...}}`)."""
    from legion.app.api.app import create_app
    from legion.app.operations import Operations
    from legion.app.security.build import build_security
    from legion.core.catalog import Catalog
    from legion.core.runtime import Runtime
    from legion.core.settings import load_settings

    with ExitStack() as stack:

        def start(settings: dict[str, Any] | None = None, *, secured: bool = True) -> ServedNode:
            home = tmp_path_factory.mktemp("served-node")
            (home / "settings").mkdir()
            with pytest.MonkeyPatch.context() as mp:
                mp.setenv("LEGION_HOME", str(home))
                mp.setenv("LEGION_SETTINGS_DIRS", str(home / "settings"))
                for name in ("LEGION_DISABLED_EXTENSIONS", "LEGION_MODE", "LEGION_DEBUG"):
                    mp.delenv(name, raising=False)
                loaded = load_settings(settings or {})
                runtime = Runtime.open(loaded, Catalog.load(loaded))
                stack.callback(runtime.stop)
                # the security layer reads the cluster secret under this LEGION_HOME
                middleware = build_security(loaded, runtime) if secured else []
            runtime.start(recover=False)
            app = create_app(
                runtime.catalog,
                operations=Operations(runtime, engine_running=True),
                middleware=middleware,
            )
            url = stack.enter_context(_serving(app))
            return ServedNode(url, runtime, app, secured)

        yield start
