"""Transport tests. The fault tests start a RabbitMQ node of their own on spare ports (its own
node name, data and log directories), so they can stop and start it without touching the shared
broker; the rest use the shared one under a queue prefix of their own."""

from __future__ import annotations

import contextlib
import os
import pwd
import random
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from legion.core.transport import scratch as scratch_queues

AMQP_URL = os.environ.get("LEGION_TEST_AMQP_URL") or "amqp://guest:guest@127.0.0.1:5672/%2F"


def require(reason: str) -> None:
    if os.environ.get("LEGION_REQUIRE_SERVICES") == "1":
        pytest.fail(f"required: {reason}")
    pytest.skip(reason)


def free_port() -> int:
    """A free port below the ephemeral range: clients that keep reconnecting to a stopped node
    on an ephemeral port can end up connected to themselves, holding the port it needs."""
    for _ in range(200):
        port = random.randint(20000, 32000)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port between 20000 and 32000")


def listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class PrivateBroker:
    """A RabbitMQ node of this test's own."""

    directory: Path
    port: int
    node: str
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/%2F"

    def start(self, timeout: float = 60.0) -> None:
        log = (self.directory / "server.out").open("ab")
        self.process = subprocess.Popen(
            ["rabbitmq-server"], env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + timeout
        while not listening(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                tail = (self.directory / "server.out").read_text()[-2000:]
                raise RuntimeError(f"the private RabbitMQ node did not start:\n{tail}")
            time.sleep(0.2)

    def stop(self) -> None:
        subprocess.run(
            ["rabbitmqctl", "-n", self.node, "stop"],
            env=self.env,
            capture_output=True,
            timeout=60,
            check=False,
        )
        if self.process is not None:
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        deadline = time.monotonic() + 30
        while listening(self.port) and time.monotonic() < deadline:
            time.sleep(0.1)


@pytest.fixture
def private_broker() -> Iterator[PrivateBroker]:
    if shutil.which("rabbitmq-server") is None or shutil.which("rabbitmqctl") is None:
        require("rabbitmq-server is not installed (broker fault tests start a node of their own)")
    directory = Path(tempfile.mkdtemp(prefix="legion-rabbit-"))
    for sub in ("mnesia", "log"):
        (directory / sub).mkdir()
    (directory / "enabled_plugins").write_text("[].\n")
    port, dist_port = free_port(), free_port()
    (directory / "rabbitmq.conf").write_text(f"listeners.tcp.1 = 127.0.0.1:{port}\n")
    if os.geteuid() == 0:  # the server script drops to the rabbitmq user
        account = pwd.getpwnam("rabbitmq")
        for path in (directory, *directory.rglob("*")):
            os.chown(path, account.pw_uid, account.pw_gid)
        directory.chmod(0o755)
    node = f"legiontest{port}@localhost"
    env = {
        **os.environ,
        "RABBITMQ_NODENAME": node,
        "RABBITMQ_NODE_PORT": str(port),
        "RABBITMQ_DIST_PORT": str(dist_port),
        "RABBITMQ_MNESIA_BASE": str(directory / "mnesia"),
        "RABBITMQ_LOG_BASE": str(directory / "log"),
        "RABBITMQ_ENABLED_PLUGINS_FILE": str(directory / "enabled_plugins"),
        "RABBITMQ_CONFIG_FILE": str(directory / "rabbitmq.conf"),
    }
    broker = PrivateBroker(directory, port, node, env)
    try:
        broker.start()
    except RuntimeError as exc:
        shutil.rmtree(directory, ignore_errors=True)
        require(str(exc))
    try:
        yield broker
    finally:
        broker.stop()
        shutil.rmtree(directory, ignore_errors=True)


@dataclass
class PrivatePostgres:
    """A PostgreSQL server of this test's own (trust auth on loopback), run as `postgres`."""

    directory: Path
    port: int
    bin: Path

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _ctl(self, *args: str) -> None:
        subprocess.run(
            [*as_postgres(), str(self.bin / "pg_ctl"), "-D", str(self.directory / "data"), *args],
            capture_output=True,
            timeout=120,
            check=True,
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1"
        self._ctl("-o", options, "-l", str(self.directory / "log"), "-w", "start")

    def stop(self) -> None:
        self._ctl("-m", "fast", "-w", "stop")


def as_postgres() -> list[str]:
    """PostgreSQL refuses to run as root: run its tools as the postgres account then."""
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def postgres_bin() -> Path | None:
    found = shutil.which("pg_ctl") or shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
    return candidates[-1] if candidates else None


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    bin_dir = postgres_bin()
    if bin_dir is None or not (bin_dir / "initdb").exists():
        require("PostgreSQL's initdb/pg_ctl are not installed (the database fault test needs them)")
    assert bin_dir is not None
    directory = Path(tempfile.mkdtemp(prefix="legion-pg-"))
    if os.geteuid() == 0:
        account = pwd.getpwnam("postgres")
        os.chown(directory, account.pw_uid, account.pw_gid)
    directory.chmod(0o755)
    initdb = [str(bin_dir / "initdb"), "-D", str(directory / "data"), "-A", "trust"]
    subprocess.run(
        [*as_postgres(), *initdb, "-U", "postgres"],
        capture_output=True,
        timeout=120,
        check=True,
    )
    server = PrivatePostgres(directory, free_port(), bin_dir)
    try:
        server.start()
    except subprocess.CalledProcessError as exc:
        shutil.rmtree(directory, ignore_errors=True)
        require(f"the private PostgreSQL did not start: {exc.stderr!r}")
    try:
        yield server
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            server.stop()
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def shared_amqp_url() -> str:
    try:
        scratch_queues.purge_queues(AMQP_URL, [])
    except Exception as exc:
        require(f"RabbitMQ at {AMQP_URL} unreachable: {type(exc).__name__}")
    return AMQP_URL
