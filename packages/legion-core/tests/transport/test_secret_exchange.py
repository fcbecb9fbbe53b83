"""A new node gets the cluster secret from a node that holds it, over the real broker: only when
each trusts the other's node id (`crypt.trusted_nodes`), sealed to the new node's key; refusals
are logged with the requester's id, never the secret."""

from __future__ import annotations

import base64
import secrets
import time
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pika  # type: ignore[import-untyped]
import pika.exceptions  # type: ignore[import-untyped]
import pytest
from loguru import logger

from legion.core.catalog import Catalog
from legion.core.crypto import envelope
from legion.core.crypto.box import Keyring
from legion.core.crypto.cluster_secret import decode_secret, secret_file
from legion.core.crypto.exchange import request_secret
from legion.core.crypto.identity import load_or_create_identity
from legion.core.engine import task as st
from legion.core.errors import ConfigError
from legion.core.registry import CapabilityRegistry
from legion.core.runtime import Runtime
from legion.core.sdk import Extension
from legion.core.settings import Settings, load_settings
from legion.core.transport import scratch as scratch_queues
from legion.core.transport.planes import cluster_keyring
from legion.core.transport.queues import queue_for
from legion.core.transport.secret_exchange import ask_peer, exchange_name, peer_lookup

SHORT = 1.5  # seconds a requester waits when no answer is expected
LONG = 60.0  # an upper bound when one is: the first valid answer ends the wait


def _runner() -> types.ModuleType:
    module = types.ModuleType("legion.extensions.keyed.runners.fn")

    def shout(word: str) -> str:
        return word.upper()

    shout.__module__ = module.__name__
    module.shout = shout  # type: ignore[attr-defined]
    return module


@pytest.fixture
def logs() -> Iterator[list[str]]:
    lines: list[str] = []
    sink = logger.add(lambda m: lines.append(str(m.record["message"])), level="INFO")
    yield lines
    logger.remove(sink)


@pytest.fixture
def cluster(shared_amqp_url: str, tmp_path: Path) -> Iterator[Any]:
    """Two homes (node A holds the secret, node B is new) on one broker prefix and database."""
    prefix = scratch_queues.scratch_prefix()
    opened: list[Runtime] = []
    home_a, home_b = tmp_path / "a", tmp_path / "b"

    def settings(home: Path, **crypt: Any) -> Settings:
        overrides = {
            "transport.url": shared_amqp_url,
            "transport.queue_prefix": prefix,
            "data.url": f"sqlite:///{tmp_path / 'cluster.db'}",
            **{f"crypt.{key}": value for key, value in crypt.items()},
        }
        return load_settings(
            overrides, env={"LEGION_HOME": str(home), "LEGION_SETTINGS_DIRS": str(home / "none")}
        )

    def start(node_settings: Settings, *, consume: bool = True) -> Runtime:
        registry = CapabilityRegistry()
        registry.add(Extension(name="keyed", version="1.0", runners=[_runner()]))
        catalog = Catalog(node_settings, [], registry)
        runtime = Runtime.open(node_settings, catalog, consume=consume)
        opened.append(runtime)
        runtime.start(recover=False)
        return runtime

    def stop(runtime: Runtime) -> None:
        runtime.stop()
        opened.remove(runtime)

    secret = secrets.token_bytes(32)
    try:
        yield types.SimpleNamespace(
            secret=secret,
            encoded=base64.b64encode(secret).decode(),
            home_a=home_a,
            home_b=home_b,
            a=load_or_create_identity(home_a),
            b=load_or_create_identity(home_b),
            settings=settings,
            start=start,
            stop=stop,
        )
    finally:
        for runtime in opened:
            runtime.stop()
        queues = [queue_for("keyed.fn.shout", prefix), f"{prefix}.legion.runners.default"]
        scratch_queues.delete_queues(shared_amqp_url, queues)
        delete_exchange(shared_amqp_url, f"{prefix}.legion.cluster-secret")


def delete_exchange(url: str, name: str) -> None:
    connection = pika.BlockingConnection(pika.URLParameters(url))
    try:
        connection.channel().exchange_delete(name)
    except pika.exceptions.ChannelClosedByBroker:
        pass
    finally:
        connection.close()


def logged(lines: list[str], *parts: str, timeout: float = 30.0) -> str:
    """The first log line holding every part (the responder logs from its own thread)."""
    deadline = time.monotonic() + timeout
    while True:
        for line in list(lines):
            if all(part in line for part in parts):
                return line
        if time.monotonic() > deadline:
            raise AssertionError(f"no log line with {parts}: {lines}")
        time.sleep(0.05)


def test_an_untrusted_node_is_refused_then_a_trusted_one_joins(
    cluster: Any, logs: list[str]
) -> None:
    a = cluster.start(cluster.settings(cluster.home_a, cluster_secret=cluster.encoded))
    assert a.secret_responder is not None
    b_settings = cluster.settings(
        cluster.home_b, trusted_nodes=[cluster.a.node_id], peer_timeout=SHORT
    )
    assert exchange_name(b_settings) == f"{b_settings.transport.queue_prefix}.legion.cluster-secret"

    # A does not list B: it refuses, says so with B's id, and B hears nothing.
    assert ask_peer(b_settings, request_secret(cluster.b)) is None
    refusal = logged(logs, "refused the cluster secret to node", cluster.b.node_id)
    assert "crypt.trusted_nodes" in refusal
    assert a.secret_responder.refused == 1 and a.secret_responder.answered == 0
    assert not secret_file(cluster.home_b).exists()

    # A now lists B: B's keyring is A's secret, kept in B's file for its next start.
    cluster.stop(a)
    a = cluster.start(
        cluster.settings(
            cluster.home_a, cluster_secret=cluster.encoded, trusted_nodes=[cluster.b.node_id]
        )
    )
    b_settings = cluster.settings(
        cluster.home_b, trusted_nodes=[cluster.a.node_id], peer_timeout=LONG
    )
    keyring = cluster_keyring(b_settings)
    assert keyring is not None and keyring.current.secret == cluster.secret
    stored = secret_file(cluster.home_b).read_text()
    assert decode_secret(stored, where="file") == cluster.secret
    logged(logs, "sent the cluster secret to node", cluster.b.node_id)
    logged(logs, "cluster secret received from node", cluster.a.node_id)
    assert a.secret_responder is not None and a.secret_responder.answered == 1
    sealed = envelope.seal(b"hello", {"routing_key": "x"}, Keyring(cluster.secret))
    assert envelope.open(sealed, {"routing_key": "x"}, keyring) == b"hello"
    for shown in (cluster.encoded, cluster.secret.hex()):
        assert not any(shown in line for line in logs)

    # B works in the cluster: a task it publishes (sealed with that secret) runs on A.
    b = cluster.start(b_settings, consume=False)
    assert b.secret_responder is None  # a client that only publishes answers nobody
    task = b.engine.submit("keyed.fn.shout", {"word": "joined"})
    assert b.engine.wait(task.id, 60)
    done = b.engine.get(task.id)
    assert done is not None and done.status == st.COMPLETED and done.result == "JOINED"


def test_a_requester_takes_the_secret_only_from_nodes_it_trusts(
    cluster: Any, logs: list[str]
) -> None:
    a = cluster.start(
        cluster.settings(
            cluster.home_a, cluster_secret=cluster.encoded, trusted_nodes=[cluster.b.node_id]
        )
    )
    someone_else = "a" * 26
    # long enough for A's answer to arrive on a busy machine, so it is seen and turned down
    b_settings = cluster.settings(cluster.home_b, trusted_nodes=[someone_else], peer_timeout=5.0)
    assert ask_peer(b_settings, request_secret(cluster.b)) is None
    assert a.secret_responder is not None and a.secret_responder.answered == 1
    logged(logs, "ignored an answer", "untrusted node", cluster.a.node_id)


def test_share_secret_any_and_never(cluster: Any, logs: list[str]) -> None:
    never = cluster.start(
        cluster.settings(
            cluster.home_a,
            cluster_secret=cluster.encoded,
            share_secret="never",
            trusted_nodes=[cluster.b.node_id],
        )
    )
    assert never.secret_responder is None
    cluster.stop(never)
    # "any" on both sides: no lists, broker credentials are the trust boundary.
    cluster.start(
        cluster.settings(cluster.home_a, cluster_secret=cluster.encoded, share_secret="any")
    )
    b_settings = cluster.settings(cluster.home_b, share_secret="any", peer_timeout=LONG)
    keyring = cluster_keyring(b_settings)
    assert keyring is not None and keyring.current.secret == cluster.secret
    logged(logs, "sent the cluster secret to node", cluster.b.node_id)


def test_a_request_naming_a_foreign_reply_queue_is_refused(
    cluster: Any, shared_amqp_url: str, logs: list[str]
) -> None:
    a = cluster.start(
        cluster.settings(
            cluster.home_a, cluster_secret=cluster.encoded, trusted_nodes=[cluster.b.node_id]
        )
    )
    connection = pika.BlockingConnection(pika.URLParameters(shared_amqp_url))
    try:
        connection.channel().basic_publish(
            exchange=exchange_name(a.settings),
            routing_key="",
            body=request_secret(cluster.b).to_bytes(),
            properties=pika.BasicProperties(reply_to=queue_for("keyed.fn.shout", "lex")),
        )
    finally:
        connection.close()
    logged(logs, "refused the cluster secret to node", cluster.b.node_id, "reply queue")
    assert a.secret_responder is not None and a.secret_responder.answered == 0


def test_no_peer_is_asked_unless_one_could_be_trusted(tmp_path: Path) -> None:
    def settings(**overrides: Any) -> Settings:
        env = {"LEGION_HOME": str(tmp_path), "LEGION_SETTINGS_DIRS": str(tmp_path / "none")}
        base = {"transport.url": "amqp://guest:guest@127.0.0.1:1/%2F"}
        return load_settings({**base, **overrides}, env=env)

    trusted = ["a" * 26]
    assert peer_lookup(settings()) is None  # nobody listed: no answer could be accepted
    assert peer_lookup(settings(**{"crypt.trusted_nodes": trusted})) is not None
    assert peer_lookup(settings(**{"crypt.share_secret": "any"})) is not None
    off = {"crypt.trusted_nodes": trusted, "crypt.ask_peers": False}
    assert peer_lookup(settings(**off)) is None
    lite = {"crypt.trusted_nodes": trusted, "transport.url": "memory://"}
    assert peer_lookup(settings(**lite)) is None
    # The broker is down: failing beats generating a secret the cluster does not share.
    with pytest.raises(ConfigError, match="cannot ask other nodes") as info:
        cluster_keyring(settings(**{"crypt.trusted_nodes": trusted}))
    assert info.value.hint is not None and "crypt.ask_peers" in info.value.hint
    assert not secret_file(tmp_path).exists()
