"""`legion mcp` (stdio), `mcp http`, `mcp tools`, `mcp token`: Legion as an MCP server.

The server is legion-mcp's; this module supplies its backend: the running daemon when there is
one (as `legion task run` decides), else an in-process runtime with its engine started.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click

from legion.app.cli.options import common_options, state
from legion.app.cli.output import emit

if TYPE_CHECKING:
    from rich.console import Console

    from legion.app.daemon.client import Client
    from legion.core.catalog import Catalog
    from legion.core.registry import CapabilityRegistry
    from legion.core.settings import Settings
    from legion.mcp.options import ServerOptions

MIRRORED = {"extension.enable", "extension.disable"}


class ClientBackend:
    """legion-mcp's Backend over a CLI client (daemon socket or in-process operations).

    Tools come from this process's catalog; when the daemon enables or disables an extension,
    the same change is mirrored here so the tool list follows.
    """

    def __init__(self, client: Client, catalog: Catalog) -> None:
        self.client = client
        self.catalog = catalog

    def call(self, op: str, params: dict[str, Any]) -> Any:
        result = self.client.call(op, **params)
        if op in MIRRORED and self.client.via == "daemon":
            from legion.app.operations import disable_extension, enable_extension

            mirror = enable_extension if op == "extension.enable" else disable_extension
            mirror(self.catalog, params["name"])
        return result

    def registry(self) -> CapabilityRegistry:
        return self.catalog.registry


class CatalogOnlyBackend:
    """Enough to list tools (`legion mcp tools`) without opening the store."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def call(self, op: str, params: dict[str, Any]) -> Any:
        from legion.core.errors import UsageError

        raise UsageError(f"{op} is not available while only listing tools")

    def registry(self) -> CapabilityRegistry:
        return self.catalog.registry


def server_options(settings: Settings) -> ServerOptions:
    from legion.app.daemon.mcp_listener import server_options as from_settings

    return from_settings(settings)


def open_backend() -> ClientBackend:
    s = state()
    return ClientBackend(s.client(need_engine=True), s.catalog())


def open_guard(settings: Settings) -> tuple[Any, str]:
    """The RBAC guard every tool call passes (and its audit log), with a line describing it."""
    from legion.app.daemon.mcp_listener import guard_notice
    from legion.app.security.mcp_guard import build_mcp_guard
    from legion.app.security.store_access import open_store

    guard = build_mcp_guard(settings, open_store(settings))
    return guard, guard_notice(settings, guard)


def say(message: str) -> None:
    """Start-up notices go to stderr: on stdio, stdout belongs to the protocol."""
    click.echo(message, err=True)


@click.group(invoke_without_command=True)
@common_options
@click.pass_context
def mcp(ctx: click.Context) -> None:
    """Serve Legion to agents over MCP; without a subcommand, on stdio (for Claude Desktop)."""
    if ctx.invoked_subcommand is not None:
        return
    import anyio

    from legion.mcp.server import build_server
    from legion.mcp.transports import serve_stdio

    settings = state().settings()
    guard, described = open_guard(settings)
    backend = open_backend()
    server = build_server(backend, guard=guard, options=server_options(settings))
    say(
        f"legion mcp: stdio, {len(backend.registry())} functions, "
        f"backend {backend.client.via}; {described}"
    )
    anyio.run(serve_stdio, server)


@mcp.command()
@click.option("--host", default=None, help="Bind address (default: mcp.host, 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), default=None, help="Default: mcp.port.")
@click.option(
    "--allow-origin",
    "origins",
    multiple=True,
    help="A browser origin to accept (repeatable; adds to mcp.allowed_origins).",
)
@common_options
def http(host: str | None, port: int | None, origins: tuple[str, ...]) -> None:
    """Serve MCP over streamable HTTP at /mcp (a bearer token unless on an open loopback)."""
    import uvicorn

    from legion.mcp.auth import http_auth
    from legion.mcp.server import build_server
    from legion.mcp.transports import http_app

    settings = state().settings()
    host = host or settings.mcp.host
    port = port or settings.mcp.port
    policy = http_auth(
        host, loopback_open=settings.mcp.auth.loopback_open, tokens=settings.mcp.auth.tokens
    )
    guard, described = open_guard(settings)
    sock = bind(host, port)
    backend = open_backend()
    server = build_server(backend, guard=guard, options=server_options(settings))
    allowed = [*settings.mcp.allowed_origins, *origins]
    served = http_app(server, policy, allowed_origins=allowed)
    shown = f"[{host}]" if ":" in host else host
    say(f"legion mcp: http://{shown}:{sock.getsockname()[1]}{served.path}")
    say(f"legion mcp: {served.notice}")
    say(f"legion mcp: {described}")
    config = uvicorn.Config(served.app, log_level="warning", access_log=False, lifespan="on")
    uvicorn.Server(config).run(sockets=[sock])


def bind(host: str, port: int) -> Any:
    from legion.app.daemon.process import bind_tcp
    from legion.core.errors import UsageError

    try:
        return bind_tcp(host, port)
    except UsageError as exc:
        raise UsageError(exc.message, hint="pick another port with --port N") from None


@mcp.command()
@click.option("--markdown", is_flag=True, help="A Markdown table per group (for docs/mcp.md).")
@common_options
def tools(markdown: bool) -> None:
    """The tools this node serves: their names, arguments, hints and descriptions."""
    import anyio

    from legion.mcp.server import build_server
    from legion.mcp.tool_list import as_markdown, describe_tools

    server = build_server(CatalogOnlyBackend(state().catalog()))
    listed = anyio.run(describe_tools, server)
    if markdown and not state().json:
        click.echo(as_markdown(listed), nl=False)
        return

    def human(out: Console) -> None:
        from legion.app.cli.output import table

        rows = [[t["name"], t["description"].split("\n")[0][:80]] for t in listed]
        out.print(table(["tool", "description"], rows))
        out.print(f"[dim]{len(listed)} tools[/]")

    emit(listed, human)


@mcp.command()
@common_options
def token() -> None:
    """Mint a bearer token for `legion mcp http`: shown once; settings keep only its digest."""
    from legion.mcp.auth import mint

    secret, digest = mint()
    data = {
        "token": secret,
        "digest": digest,
        "setting": {"mcp": {"auth": {"tokens": [digest]}}},
    }

    def human(out: Console) -> None:
        out.print(f"token (shown once, keep it secret): {secret}")
        out.print(f"add its digest to mcp.auth.tokens in a settings file: {digest}")
        out.print("[dim]clients send it as `Authorization: Bearer <token>`[/]")

    emit(data, human)
    sys.stdout.flush()
