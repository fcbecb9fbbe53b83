"""The daemon's MCP endpoint (`legionio start --mcp`, or `mcp.serve = true`).

Streamable HTTP at `/mcp` on its own TCP socket (`mcp.host`:`mcp.port`, 127.0.0.1:9393 by
default), served by a second uvicorn server on a thread of the daemon process. It drives the
daemon's own runtime through the same `Operations` the control socket uses (no second runtime,
no second engine), and is secured as `legion mcp http` is: a bearer token unless on a loopback
address with `mcp.auth.loopback_open`, the Origin check (`mcp.allowed_origins`), and the RBAC
guard with its audit log in the daemon's store.
"""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from legion.core.errors import UsageError

if TYPE_CHECKING:
    import uvicorn

    from legion.app.operations import Operations
    from legion.app.security.mcp_guard import RbacMcpGuard
    from legion.core.registry import CapabilityRegistry
    from legion.core.runtime import Runtime
    from legion.core.settings import Settings
    from legion.mcp.auth import AuthPolicy
    from legion.mcp.options import ServerOptions

STOP_SECONDS = 5  # graceful shutdown of the MCP server: open SSE streams must not hold a stop


def server_options(settings: Settings) -> ServerOptions:
    """The MCP server's options from settings (tool-call waits, the model `legion.do` asks)."""
    from legion.mcp.intent_llm import LlmEndpoint
    from legion.mcp.options import ServerOptions

    return ServerOptions(
        wait_seconds=settings.mcp.wait_seconds,
        progress_interval=settings.mcp.progress_interval,
        llm=LlmEndpoint.from_settings(settings.llm),
    )


class OperationsBackend:
    """legion-mcp's Backend over the daemon's own operations and registry."""

    def __init__(self, operations: Operations, runtime: Runtime) -> None:
        self.operations = operations
        self.runtime = runtime

    def call(self, op: str, params: dict[str, Any]) -> Any:
        return self.operations.call(op, params)

    def registry(self) -> CapabilityRegistry:
        return self.runtime.catalog.registry


def guard_notice(settings: Settings, guard: RbacMcpGuard) -> str:
    """One line for the start-up log: whether the guard enforces, the local user's roles."""
    local = ", ".join(guard.guard.roles_for(guard.principal("local:stdio")))
    mode = "enforcing" if settings.rbac.enforce else "audit mode (refusals logged, not enforced)"
    return f"RBAC guard {mode}; the local user is user:local ({local}); tool calls audited"


def auth_policy(settings: Settings) -> AuthPolicy:
    """What the endpoint enforces; raises `UsageError` off loopback without a token."""
    from legion.mcp.auth import http_auth

    auth = settings.mcp.auth
    return http_auth(settings.mcp.host, loopback_open=auth.loopback_open, tokens=auth.tokens)


def bind(settings: Settings) -> socket.socket:
    from legion.app.daemon.process import bind_tcp

    try:
        return bind_tcp(settings.mcp.host, settings.mcp.port)
    except UsageError as exc:
        raise UsageError(
            exc.message.replace("cannot listen", "MCP cannot listen", 1),
            hint="pick another port with --mcp-port N (mcp.port)",
        ) from None


def url_of(host: str, port: int, path: str) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}{path}"


@dataclass
class McpListener:
    """The MCP server of a running daemon: `start()` serves on a thread, `stop()` ends it."""

    server: uvicorn.Server
    sock: socket.socket
    url: str
    notices: list[str]
    thread: threading.Thread | None = field(default=None, repr=False)

    def start(self) -> None:
        # Off the main thread uvicorn leaves the signal handlers alone: the daemon's API server
        # keeps them and stops this one (`stop`) when it ends.
        self.thread = threading.Thread(target=self._run, name="legion-mcp-http", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        from legion.core.logging import logger

        try:
            self.server.run(sockets=[self.sock])
        except BaseException as exc:  # uvicorn exits on a failed lifespan: say so, keep the node
            logger.error("MCP server at {} stopped: {}: {}", self.url, type(exc).__name__, exc)

    def request_stop(self) -> None:
        self.server.should_exit = True

    def stop(self, timeout: float = STOP_SECONDS + 5) -> None:
        self.request_stop()
        if self.thread is not None:
            self.thread.join(timeout)
        self.sock.close()


def open_listener(
    settings: Settings, runtime: Runtime, operations: Operations, sock: socket.socket
) -> McpListener:
    """The MCP app over the daemon's runtime, behind the auth policy, Origin check and guard."""
    import uvicorn

    from legion.app.security.mcp_guard import build_mcp_guard
    from legion.mcp.server import build_server
    from legion.mcp.transports import http_app

    policy = auth_policy(settings)
    guard = build_mcp_guard(settings, runtime.db)
    backend = OperationsBackend(operations, runtime)
    server = build_server(backend, guard=guard, options=server_options(settings))
    served = http_app(server, policy, allowed_origins=settings.mcp.allowed_origins)
    url = url_of(settings.mcp.host, sock.getsockname()[1], served.path)
    notices = [served.notice, f"MCP {guard_notice(settings, guard)}"]
    config = uvicorn.Config(
        served.app,
        log_level="warning",
        access_log=False,
        lifespan="on",  # FastMCP's session manager runs in the app's lifespan
        timeout_graceful_shutdown=STOP_SECONDS,
    )
    return McpListener(uvicorn.Server(config), sock, url, notices)
