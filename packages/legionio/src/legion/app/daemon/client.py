"""How the CLI reaches operations: over the daemon's socket when one runs, in-process otherwise."""

from __future__ import annotations

import http.client
import json
import socket
from typing import Any, Protocol

from legion.app.daemon.files import DaemonFiles
from legion.core.errors import ConfigError, LegionError, NotFoundError, UsageError, ValidationFailed

ERRORS: dict[str, type[LegionError]] = {
    "not_found": NotFoundError,
    "validation_failed": ValidationFailed,
    "bad_request": UsageError,
    "invalid_config": ConfigError,
}


class Client(Protocol):
    via: str

    def call(self, op: str, **params: Any) -> Any: ...

    def close(self) -> None: ...


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self.path)
        self.sock = sock


class DaemonClient:
    via = "daemon"

    def __init__(self, socket_path: str, token: str, timeout: float = 3600.0) -> None:
        self.socket_path, self.token, self.timeout = socket_path, token, timeout

    def call(self, op: str, **params: Any) -> Any:
        conn = UnixHTTPConnection(self.socket_path, self.timeout)
        try:
            body = json.dumps({"op": op, "params": params})
            conn.request(
                "POST",
                "/control/rpc",
                body=body,
                headers={
                    "Content-Type": "application/json",
                    "Authorization": f"Bearer {self.token}",
                },
            )
            response = conn.getresponse()
            data = json.loads(response.read() or b"{}")
        except OSError as exc:
            raise LegionError(
                f"cannot reach the daemon at {self.socket_path}: {exc}",
                hint="`legionio status` checks it; `legionio stop` clears a dead one",
            ) from None
        finally:
            conn.close()
        if "error" in data:
            err = data["error"]
            cls = ERRORS.get(err.get("code", ""), LegionError)
            raise cls(
                err.get("message", "daemon error"), hint=err.get("hint"), details=err.get("details")
            )
        return data.get("data")

    def close(self) -> None:
        pass


class LocalClient:
    """Runs operations in this process against the same store the daemon would use."""

    via = "in-process"

    def __init__(self, settings: Any, catalog: Any, *, start_engine: bool) -> None:
        from legion.app.operations import Operations
        from legion.core.runtime import Runtime
        from legion.core.transport.planes import is_broker

        # On a cluster the workers run tasks: this process only publishes them and, for --wait,
        # hears back from the worker that finished one.
        self.runtime = Runtime.open(settings, catalog, consume=not is_broker(settings))
        if start_engine:
            self.runtime.start(recover=False)
        self.ops = Operations(self.runtime, engine_running=start_engine)
        self.started = start_engine

    def call(self, op: str, **params: Any) -> Any:
        return self.ops.call(op, params)

    def close(self) -> None:
        if self.started:
            self.runtime.stop()
        else:
            self.runtime.tasks.flush()
            self.runtime.db.dispose()


def connect(settings: Any, catalog_factory: Any, *, need_engine: bool = False) -> Client:
    """The daemon if one runs on this LEGION_HOME, else an in-process runtime."""
    files = DaemonFiles(settings.home)
    meta = files.running()
    if meta is not None:
        return DaemonClient(meta["socket"], files.read_token())
    return LocalClient(settings, catalog_factory(), start_engine=need_engine)
