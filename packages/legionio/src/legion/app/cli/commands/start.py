"""`legionio start|stop|status`: the node in the foreground or as a daemon."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click

from legion.app.cli.options import common_options, state
from legion.app.cli.output import emit
from legion.core.errors import UsageError

if TYPE_CHECKING:
    from rich.console import Console


@click.command()
@click.option("--lite", is_flag=True, help="Zero infrastructure: in-process broker, cache, SQLite.")
@click.option(
    "-d",
    "--daemon",
    "background",
    is_flag=True,
    help="Run in the background; the CLI then talks to it over a local socket.",
)
@click.option("--host", default=None, help="Bind address of the REST API (default: api.host).")
@click.option(
    "--http-port",
    type=click.IntRange(1, 65535),
    default=None,
    help="Port of the REST API (default: api.port, 4567).",
)
@click.option(
    "--worker",
    is_flag=True,
    help="Full mode: only consume the broker's queues (no REST API); needs transport.url.",
)
@click.option(
    "--processes",
    type=click.IntRange(1, 256),
    default=1,
    help="With --worker: worker processes to run and restart when they die.",
)
@click.option(
    "--threads",
    type=click.IntRange(1, 256),
    default=None,
    help="Task threads per process (default: engine.workers, 4).",
)
@click.option(
    "--mcp",
    "serve_mcp",
    is_flag=True,
    help="Also serve MCP over streamable HTTP (mcp.host:mcp.port/mcp) on this node's runtime.",
)
@click.option(
    "--mcp-port",
    type=click.IntRange(1, 65535),
    default=None,
    help="Port of the MCP endpoint (default: mcp.port, 9393); implies --mcp.",
)
@click.option("--recover", is_flag=True, hidden=True, help="Publish pending stored tasks again.")
@common_options
def start(
    lite: bool,
    background: bool,
    host: str | None,
    http_port: int | None,
    worker: bool,
    processes: int,
    threads: int | None,
    serve_mcp: bool,
    mcp_port: int | None,
    recover: bool,
) -> None:
    """Start the engine with its REST API (foreground until Ctrl-C, or -d for a daemon);
    --mcp also serves MCP to agents; with --worker, start full-mode worker processes that
    share the broker's queues."""
    s = state()
    if worker and (serve_mcp or mcp_port):
        raise UsageError(
            "--mcp serves from the node that runs the REST API, not from --worker processes",
            hint="legionio start --mcp (on the API node), or `legion mcp http` anywhere",
        )
    if serve_mcp or mcp_port:
        s.overrides["mcp.serve"] = True
    if mcp_port:
        s.overrides["mcp.port"] = mcp_port
    if lite:
        s.overrides["mode"] = "lite"
    if host:
        s.overrides["api.host"] = host
    if http_port:
        s.overrides["api.port"] = http_port
    if threads:
        s.overrides["engine.workers"] = threads
    settings = s.settings()
    from legion.core.transport.planes import is_broker

    if worker:
        _start_workers(settings, processes, recover)
        return
    if processes != 1:
        raise UsageError("--processes needs --worker", hint="legionio start --worker --processes 2")
    if settings.mode != "lite" and not is_broker(settings):
        raise UsageError(
            f"full mode needs a broker: transport.url is {settings.transport.url}",
            hint="set transport.url (LEGION_TRANSPORT__URL) to amqp://user:password@host:5672/ "
            "or start with --lite",
        )
    if settings.mcp.serve:
        from legion.app.daemon.mcp_listener import auth_policy

        auth_policy(settings)  # refuses (exit 2) off loopback without a token, before spawning
    if background:
        from legion.app.daemon.process import spawn_background

        argv = [a for a in sys.argv[1:] if a not in ("-d", "--daemon", "--json")]
        if "start" not in argv:
            argv = ["start", *argv]
        meta = spawn_background(argv, settings)

        def human(out: Console) -> None:
            mcp = f", MCP on {meta['mcp']}" if meta.get("mcp") else ""
            out.print(
                f"Legion daemon {meta['pid']} started: {meta['http']}{mcp} "
                f"(log: {meta['log']}); `legionio stop` stops it"
            )

        emit(meta, human)
        return
    from legion.app.daemon.process import serve

    serve(settings, s.catalog())


def _start_workers(settings: Any, processes: int, recover: bool) -> None:
    from legion.core.transport.planes import is_broker

    if not is_broker(settings):
        raise UsageError(
            f"a worker consumes a broker's queues, but transport.url is {settings.transport.url}",
            hint="set transport.url (LEGION_TRANSPORT__URL) to amqp://user:password@host:5672/",
        )
    if processes == 1:
        from legion.app.worker.node import run_worker

        run_worker(settings, state().catalog(), recover=recover)
        return
    from legion.app.worker.supervisor import supervise

    argv = sys.argv[1:]
    root_args = argv[: argv.index("start")] if "start" in argv else []
    supervise(root_args, processes, settings.engine.workers)


@click.command()
@common_options
def stop() -> None:
    """Stop the daemon of this LEGION_HOME, letting running tasks finish."""
    from legion.app.daemon.process import stop_daemon

    meta = stop_daemon(state().settings())
    data: dict[str, Any] = {"stopped": meta is not None, "pid": meta["pid"] if meta else None}

    def human(out: Console) -> None:
        out.print(f"stopped daemon {data['pid']}" if meta else "no daemon was running")

    emit(data, human)


@click.command()
@common_options
def status() -> None:
    """Whether a daemon runs on this LEGION_HOME, and what the node holds."""
    from legion.app.daemon.files import DaemonFiles

    s = state()
    settings = s.settings()
    meta = DaemonFiles(settings.home).running()
    data: dict[str, Any] = {"daemon": meta, "home": str(settings.home)}
    data["node"] = s.client().call("status")

    def human(out: Console) -> None:
        if meta:
            mcp = f", MCP {meta['mcp']}" if meta.get("mcp") else ""
            out.print(f"daemon [green]running[/] (pid {meta['pid']}, {meta['http']}{mcp})")
        else:
            out.print("daemon [yellow]not running[/] (commands run in-process)")
        node = data["node"]
        tasks = ", ".join(f"{k}: {v}" for k, v in node["tasks"].items()) or "none"
        out.print(f"home: {data['home']}  mode: {node['mode']}  tasks: {tasks}")
        out.print(
            f"extensions: {len(node['extensions'])}  functions: {node['functions']}  "
            f"relationships: {node['relationships']}"
        )
        for actor in node.get("actors", []):
            every = f" {actor['interval']:g}s" if actor.get("interval") else ""
            out.print(f"  actor {actor['address']} ({actor['kind']}{every}): {actor['state']}")

    emit(data, human)
