"""Running the node: the engine, its actors, and one HTTP server on two sockets — TCP for the
REST API, a 0600 unix socket for the CLI's control route — plus, with `mcp.serve`, the MCP
endpoint on its own TCP port (`legion.app.daemon.mcp_listener`)."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Any

from legion.app._version import __version__
from legion.app.daemon.files import DaemonFiles
from legion.core.errors import LegionError, UsageError
from legion.core.logging import logger
from legion.core.settings import Settings


def bind_tcp(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise UsageError(
            f"cannot listen on {host}:{port}: {exc.strerror}",
            hint="another process holds the port; pick another with --http-port N",
        ) from None
    sock.listen(512)
    return sock


def bind_unix(path: Path) -> socket.socket:
    if path.exists():
        path.unlink()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o177)
    try:
        sock.bind(str(path))
    finally:
        os.umask(old)
    os.chmod(path, 0o600)
    sock.listen(64)
    return sock


def serve(settings: Settings, catalog: Any) -> None:
    """Run the node in the foreground until SIGINT/SIGTERM; always leaves no stale files."""
    import uvicorn

    from legion.app.operations import Operations
    from legion.app.security.wiring import auth_notice, secured_app
    from legion.app.version import banner
    from legion.core.engine.actors import ActorRunner
    from legion.core.runtime import Runtime

    files = DaemonFiles(settings.home)
    if files.running() is not None:
        raise UsageError(
            f"a Legion daemon already runs on {settings.home}",
            hint="`legionio status` shows it; `legionio stop` stops it",
        )
    # A stop request before the server runs must still end in a clean shutdown; and uvicorn
    # re-raises the signal that stopped it, which the default handlers would turn into a kill
    # before the store is flushed below.
    stop_requested = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop_requested.set())
    mcp_sock = None
    if settings.mcp.serve:
        from legion.app.daemon.mcp_listener import auth_policy
        from legion.app.daemon.mcp_listener import bind as bind_mcp

        auth_policy(settings)  # off loopback without a token: refuse before anything starts
        mcp_sock = bind_mcp(settings)
    tcp = bind_tcp(settings.api.host, settings.api.port)
    runtime = Runtime.open(settings, catalog)
    recovered = runtime.start(recover=True)
    actors = ActorRunner(runtime)
    actors.start()
    unix = bind_unix(files.socket)
    token = secrets.token_urlsafe(32)
    meta: dict[str, Any] = {
        "pid": os.getpid(),
        "version": __version__,
        "socket": str(files.socket),
        "http": f"http://{settings.api.host}:{settings.api.port}",
        "mode": settings.mode,
        "started_at": time.time(),
        "home": str(settings.home),
    }
    if mcp_sock is not None:
        from legion.app.daemon.mcp_listener import url_of
        from legion.mcp.transports import PATH

        meta["mcp"] = url_of(settings.mcp.host, mcp_sock.getsockname()[1], PATH)
    files.write(meta, token)
    operations = Operations(runtime, engine_running=True, actors=actors)
    mcp = None
    try:
        app = secured_app(settings, runtime, operations=operations, control_token=token)
        if mcp_sock is not None:
            from legion.app.daemon.mcp_listener import open_listener

            mcp = open_listener(settings, runtime, operations, mcp_sock)
    except BaseException:  # a refused or misconfigured security layer: leave nothing behind
        actors.stop()
        runtime.stop()
        files.cleanup()
        raise
    loaded = [r.name for r in runtime.catalog.records if r.status == "loaded"]
    for record in runtime.catalog.records:
        if record.status != "loaded":
            logger.warning("extension {} {}: {}", record.name, record.status, record.reason)
    logger.info(banner(settings, loaded, len(runtime.catalog.registry)))
    logger.info(auth_notice(settings))
    if mcp is not None:
        logger.info("MCP (streamable HTTP) on {}", mcp.url)
        for notice in mcp.notices:
            logger.info(notice)
    if recovered:
        logger.info("picked up {} unfinished task(s) from the store", recovered)

    class NodeServer(uvicorn.Server):
        """The API server; the signal that stops it stops the MCP server at the same time."""

        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            super().handle_exit(sig, frame)
            if mcp is not None:
                mcp.request_stop()

    server = NodeServer(
        uvicorn.Config(
            app,
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=5,  # open SSE streams must not hold a stop forever
        )
    )
    try:
        if not stop_requested.is_set():
            if mcp is not None:
                mcp.start()
            server.run(sockets=[tcp, unix])
    finally:
        logger.info("stopping: finishing running tasks and writing the store")
        if mcp is not None:
            mcp.stop()  # before the runtime: no tool call may reach a stopped engine
        actors.stop()
        runtime.stop()
        files.cleanup()
        logger.info("stopped")


def spawn_background(argv: list[str], settings: Settings, timeout: float = 60.0) -> dict[str, Any]:
    """Start `legionio start` detached (own session, output to the log file) and wait until it
    answers on its socket; a daemon that dies during start-up is reported with its log."""
    files = DaemonFiles(settings.home)
    if files.running() is not None:
        raise UsageError(
            f"a Legion daemon already runs on {settings.home}",
            hint="`legionio status` shows it; `legionio stop` stops it",
        )
    files.log.parent.mkdir(parents=True, exist_ok=True)
    start_offset = files.log.stat().st_size if files.log.exists() else 0
    code = "from legion.app.cli.main import legionio; legionio()"
    with open(files.log, "ab") as log, open(os.devnull, "rb") as devnull:
        proc = subprocess.Popen(
            [sys.executable, "-c", code, *argv],
            stdin=devnull,
            stdout=log,
            stderr=log,
            start_new_session=True,
            env={**os.environ, "LEGION_HOME": str(settings.home)},
        )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        meta = files.running()
        if meta is not None and meta.get("pid") == proc.pid:
            return {**meta, "log": str(files.log)}
        if proc.poll() is not None:
            with open(files.log, "rb") as f:
                f.seek(start_offset)
                tail = f.read().decode(errors="replace").strip().splitlines()[-5:]
            raise LegionError(
                "the daemon exited during start-up:\n  " + "\n  ".join(tail),
                hint=f"full log: {files.log}",
            )
        time.sleep(0.05)
    proc.terminate()
    raise LegionError(f"the daemon did not come up within {timeout}s", hint=f"see {files.log}")


def stop_daemon(settings: Settings, timeout: float = 60.0) -> dict[str, Any] | None:
    """SIGTERM the daemon and wait for it to finish its running tasks and exit."""
    files = DaemonFiles(settings.home)
    meta = files.running()
    if meta is None:
        return None
    pid = int(meta["pid"])
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    from legion.app.daemon.files import pid_alive

    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if pid_alive(pid):
        raise LegionError(
            f"daemon {pid} did not stop within {timeout}s",
            hint=f"it may be finishing a long task; `kill -9 {pid}` forces it",
        )
    files.cleanup()
    return meta
