"""`legionio start`: the engine in the foreground with its REST API."""

from __future__ import annotations

import ipaddress
import socket

import click
from legion.app.cli.options import common_options, state
from legion.core.errors import UsageError


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_port_free(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise UsageError(
                f"cannot listen on {host}:{port}: {exc.strerror}",
                hint="another process holds the port; pick another with --http-port N",
            ) from None


@click.command()
@click.option("--lite", is_flag=True, help="Zero infrastructure: in-process broker, cache, SQLite.")
@click.option("--host", default=None, help="Bind address of the REST API (default: api.host).")
@click.option(
    "--http-port",
    type=click.IntRange(1, 65535),
    default=None,
    help="Port of the REST API (default: api.port, 4567).",
)
@common_options
def start(lite: bool, host: str | None, http_port: int | None) -> None:
    """Start the engine in the foreground, serving the REST API until Ctrl-C."""
    s = state()
    if lite:
        s.overrides["mode"] = "lite"
    if host:
        s.overrides["api.host"] = host
    if http_port:
        s.overrides["api.port"] = http_port
    settings = s.settings()
    api = settings.api
    if not is_loopback(api.host):
        raise UsageError(
            f"refusing to serve the API on {api.host}: it is not a loopback address and API "
            "authentication is not available in this version",
            hint="bind to 127.0.0.1 (the default) and put an authenticating proxy in front",
        )
    check_port_free(api.host, api.port)

    import uvicorn
    from legion.app.api.app import create_app
    from legion.app.version import banner
    from legion.core.logging import logger

    catalog = s.catalog()
    loaded = [r.name for r in catalog.records if r.status == "loaded"]
    for record in catalog.records:
        if record.status != "loaded":
            logger.warning("extension {} {}: {}", record.name, record.status, record.reason)
    logger.info(banner(settings, loaded, len(catalog.registry)))
    app = create_app(catalog)
    uvicorn.run(app, host=api.host, port=api.port, log_level="warning", access_log=False)
    logger.info("stopped")
