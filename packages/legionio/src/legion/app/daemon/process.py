"""Running the node: the engine, its actors, and one HTTP server on two sockets — TCP for the
REST API, a 0600 unix socket for the CLI's control route."""

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
    tcp = bind_tcp(settings.api.host, settings.api.port)
    runtime = Runtime.open(settings, catalog)
    recovered = runtime.start(recover=True)
    actors = ActorRunner(runtime)
    actors.start()
    unix = bind_unix(files.socket)
    token = secrets.token_urlsafe(32)
    files.write(
        {
            "pid": os.getpid(),
            "version": __version__,
            "socket": str(files.socket),
            "http": f"http://{settings.api.host}:{settings.api.port}",
            "mode": settings.mode,
            "started_at": time.time(),
            "home": str(settings.home),
        },
        token,
    )
    operations = Operations(runtime, engine_running=True, actors=actors)
    try:
        app = secured_app(settings, runtime, operations=operations, control_token=token)
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
    if recovered:
        logger.info("picked up {} unfinished task(s) from the store", recovered)
    server = uvicorn.Server(
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
            server.run(sockets=[tcp, unix])
    finally:
        logger.info("stopping: finishing running tasks and writing the store")
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
