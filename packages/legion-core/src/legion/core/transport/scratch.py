"""Throwaway queues on a shared RabbitMQ: tests and benchmarks use a prefix of their own and
purge or delete exactly their queues (with the `.DQ` and `.XQ` beside each), nothing else."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Iterator

import pika  # type: ignore[import-untyped]
import pika.exceptions  # type: ignore[import-untyped]


def scratch_prefix(prefix: str = "legiontest") -> str:
    return f"{prefix}{secrets.token_hex(4)}"


def _with_companions(queues: Iterable[str]) -> Iterator[str]:
    for queue in queues:
        yield queue
        yield queue + ".DQ"
        yield queue + ".XQ"


def _each(url: str, queues: Iterable[str], delete: bool) -> None:
    connection = pika.BlockingConnection(pika.URLParameters(url))
    try:
        channel = connection.channel()
        for name in _with_companions(queues):
            try:
                if delete:
                    channel.queue_delete(name)
                else:
                    channel.queue_purge(name)
            except pika.exceptions.ChannelClosedByBroker:  # it was never declared
                channel = connection.channel()
    finally:
        connection.close()


def purge_queues(url: str, queues: Iterable[str]) -> None:
    """Drop every message of `queues` (and their delay and dead-letter queues)."""
    _each(url, queues, delete=False)


def delete_queues(url: str, queues: Iterable[str]) -> None:
    _each(url, queues, delete=True)


def queue_depths(url: str, queue: str) -> tuple[int, int, int]:
    """Messages ready in `queue`, its delay queue and its dead-letter queue."""
    connection = pika.BlockingConnection(pika.URLParameters(url))
    try:
        channel = connection.channel()
        counts = []
        for name in _with_companions([queue]):
            try:
                counts.append(channel.queue_declare(name, passive=True).method.message_count)
            except pika.exceptions.ChannelClosedByBroker:
                channel = connection.channel()
                counts.append(0)
        return counts[0], counts[1], counts[2]
    finally:
        connection.close()
