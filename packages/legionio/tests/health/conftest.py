"""Fixtures for `legionio check` / `legion doctor`: the CLI in process, services, fake servers.

PostgreSQL, Redis and RabbitMQ come from LEGION_TEST_POSTGRES_URL / LEGION_TEST_REDIS_URL /
LEGION_TEST_AMQP_URL (else the local defaults). An absent service skips its tests, unless
LEGION_REQUIRE_SERVICES=1, where they fail. PostgreSQL tests get a schema of their own.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import quote

import pytest

from legion.app.cli.main import legion_group, legionio_group, run

PG_URL = os.environ.get(
    "LEGION_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("LEGION_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
AMQP_URL = os.environ.get("LEGION_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
KEEP_ENV = {"LEGION_HOME", "LEGION_SETTINGS_DIRS", "LEGION_REQUIRE_SERVICES"}


def unavailable(service: str, url: str, exc: BaseException) -> None:
    if os.environ.get("LEGION_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{service} required but unreachable at {url}: {exc}")
    pytest.skip(f"{service} unreachable at {url}")


@pytest.fixture(autouse=True)
def no_host_settings(monkeypatch: pytest.MonkeyPatch, legion_home: Any) -> None:
    """No LEGION_* variable of the host (a data.url, a cache.url, ...) reaches a test."""
    for name in list(os.environ):
        if name.startswith("LEGION_") and name not in KEEP_ENV:
            monkeypatch.delenv(name)


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


CliRunner = Callable[..., Result]


@pytest.fixture
def legionio(capsys: pytest.CaptureFixture[str]) -> CliRunner:
    return make_runner(capsys, legionio_group, "legionio")


@pytest.fixture
def legion(capsys: pytest.CaptureFixture[str]) -> CliRunner:
    return make_runner(capsys, legion_group, "legion")


def make_runner(capsys: pytest.CaptureFixture[str], group: Any, prog: str) -> CliRunner:
    def invoke(*args: str) -> Result:
        try:
            code = run(group, prog, list(args))
        except SystemExit as exc:
            code = int(exc.code or 0)
        out, err = capsys.readouterr()
        return Result(code, out, err)

    return invoke


def by_name(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Findings keyed by name (the first of each name)."""
    found: dict[str, dict[str, Any]] = {}
    for row in rows:
        found.setdefault(row["name"], row)
    return found


@pytest.fixture
def closed_port() -> int:
    """A local TCP port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections (the kernel does) and never says a word."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield sock.getsockname()[1]


@pytest.fixture
def talker_port() -> Iterator[int]:
    """A port whose server answers anything with an HTTP error, as a non-AMQP service would."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    server.close()
    thread.join(5)


@dataclass
class VaultStub:
    """A stand-in for Vault's `/v1/sys/health`: answers `status` with `body`."""

    address: str
    status: int = 200
    body: dict[str, Any] | None = None
    paths: list[str] = field(default_factory=list)


@pytest.fixture
def vault_stub() -> Iterator[VaultStub]:
    stub = VaultStub(address="")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            stub.paths.append(self.path)
            data = json.dumps(stub.body or {}).encode()
            self.send_response(stub.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    stub.address = f"http://127.0.0.1:{server.server_address[1]}"
    yield stub
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema, dropped afterwards."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import SQLAlchemyError

    schema = f"legion_health_{uuid.uuid4().hex[:12]}"
    engine = create_engine(PG_URL, connect_args={"connect_timeout": 3})
    try:
        with engine.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except SQLAlchemyError as exc:
        engine.dispose()
        unavailable("PostgreSQL", PG_URL, exc)
    separator = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{separator}options={quote(f'-csearch_path={schema}')}"
    finally:
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        engine.dispose()


@pytest.fixture
def redis_url() -> str:
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.RedisError as exc:
        unavailable("Redis", REDIS_URL, exc)
    finally:
        client.close()
    return REDIS_URL


@pytest.fixture
def amqp_url() -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(AMQP_URL)
    try:
        socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5672), 3).close()
    except OSError as exc:
        unavailable("RabbitMQ", AMQP_URL, exc)
    return AMQP_URL
