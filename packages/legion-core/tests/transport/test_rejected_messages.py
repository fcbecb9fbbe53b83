"""Forged, foreign and unreadable task messages are dead-lettered and never run."""

from __future__ import annotations

import base64
import secrets
import threading
import time
import types
import uuid
from pathlib import Path
from typing import Any

import dramatiq
import pytest
from dramatiq.brokers.rabbitmq import RabbitmqBroker

from legion.core.catalog import Catalog
from legion.core.crypto.box import Keyring
from legion.core.engine.task import Task
from legion.core.registry import CapabilityRegistry
from legion.core.runtime import Runtime
from legion.core.sdk import Extension
from legion.core.settings import load_settings
from legion.core.transport import scratch as scratch_queues
from legion.core.transport import task_messages
from legion.core.transport.queues import queue_for
from legion.core.transport.rabbitmq_plane import ACTOR

CALLS: list[str] = []
LOCK = threading.Lock()


def _runner() -> types.ModuleType:
    module = types.ModuleType("legion.extensions.victim.runners.fn")

    def touch(key: str) -> str:
        with LOCK:
            CALLS.append(key)
        return key

    touch.__module__ = module.__name__
    module.touch = touch  # type: ignore[attr-defined]
    return module


@pytest.fixture
def node(shared_amqp_url: str, tmp_path: Path) -> Any:
    prefix = scratch_queues.scratch_prefix()
    secret = secrets.token_bytes(32)
    settings = load_settings(
        overrides={
            "transport.url": shared_amqp_url,
            "transport.queue_prefix": prefix,
            "crypt.cluster_secret": base64.b64encode(secret).decode(),
        },
        env={"LEGION_HOME": str(tmp_path), "LEGION_SETTINGS_DIRS": str(tmp_path / "none")},
    )
    registry = CapabilityRegistry()
    registry.add(Extension(name="victim", version="1.0", runners=[_runner()]))
    runtime = Runtime.open(settings, Catalog(settings, [], registry))
    runtime.start(recover=False)
    queue = queue_for("victim.fn.touch", prefix)
    try:
        yield types.SimpleNamespace(
            runtime=runtime, queue=queue, url=shared_amqp_url, keyring=Keyring(secret)
        )
    finally:
        runtime.stop()
        scratch_queues.delete_queues(shared_amqp_url, [queue, f"{prefix}.legion.runners.default"])


def send(url: str, queue: str, body: str, message_id: str) -> None:
    broker = RabbitmqBroker(url=url, confirm_delivery=True, middleware=[])
    try:
        message: dramatiq.Message[None] = dramatiq.Message(
            queue_name=queue,
            actor_name=ACTOR,
            args=(body,),
            kwargs={},
            options={},
            message_id=message_id,
        )
        broker.enqueue(message)
    finally:
        broker.close()


def dead_letters(url: str, queue: str, expected: int, timeout: float = 30) -> int:
    deadline = time.monotonic() + timeout
    while True:
        count = scratch_queues.queue_depths(url, queue)[2]
        if count >= expected or time.monotonic() > deadline:
            return count
        time.sleep(0.1)


def test_forged_foreign_and_plain_messages_go_to_the_dead_letter_queue(node: Any) -> None:
    CALLS.clear()
    good = Task(function="victim.fn.touch", args={"key": "good"})
    good_id = str(uuid.uuid4())
    sealed = task_messages.encode(good, queue=node.queue, message_id=good_id, keyring=node.keyring)

    raw = bytearray(base64.b64decode(sealed[2:]))
    raw[-1] ^= 0x01  # one flipped bit in the ciphertext
    tampered = "s:" + base64.b64encode(bytes(raw)).decode()
    foreign_keyring = Keyring(secrets.token_bytes(32))
    foreign = task_messages.encode(
        Task(function="victim.fn.touch", args={"key": "foreign"}),
        queue=node.queue,
        message_id="f1",
        keyring=foreign_keyring,
    )
    plain = task_messages.encode(
        Task(function="victim.fn.touch", args={"key": "plain"}),
        queue=node.queue,
        message_id="p1",
        keyring=None,
    )
    send(node.url, node.queue, tampered, good_id)
    send(node.url, node.queue, foreign, "f1")
    send(node.url, node.queue, plain, "p1")
    send(node.url, node.queue, sealed, "replayed-under-another-id")  # bound to good_id
    assert dead_letters(node.url, node.queue, 4) == 4
    assert CALLS == []
    # The genuine message, as sealed, runs.
    send(node.url, node.queue, sealed, good_id)
    deadline = time.monotonic() + 30
    while not CALLS and time.monotonic() < deadline:
        time.sleep(0.05)
    assert CALLS == ["good"]
