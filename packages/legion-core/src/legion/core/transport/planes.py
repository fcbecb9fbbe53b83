"""The work plane `transport.url` names: in-process for `memory://`, RabbitMQ for `amqp://`."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine as Database

from legion.core.crypto.box import Keyring
from legion.core.engine.bus import InProcessBus
from legion.core.engine.plane import Handler, LocalPlane, Plane, PlaneFactory
from legion.core.engine.task import Task
from legion.core.errors import ConfigError
from legion.core.registry import CapabilityRegistry
from legion.core.settings.model import Settings
from legion.core.settings.redact import redact_url

if TYPE_CHECKING:
    from legion.core.transport.secret_exchange import SecretResponder

BROKER_SCHEMES = ("amqp://", "amqps://")


def is_broker(settings: Settings) -> bool:
    return settings.transport.url.startswith(BROKER_SCHEMES)


def cluster_keyring(settings: Settings) -> Keyring | None:
    """The keyring that seals messages, or None when `crypt.encrypt` is off. On a broker, a node
    with no secret in settings, Vault or its file asks the other nodes before generating one
    (see `legion.core.transport.secret_exchange`)."""
    if not settings.crypt.encrypt:
        return None
    from legion.core.crypto.cluster_secret import resolve_cluster_secret
    from legion.core.crypto.identity import load_or_create_identity
    from legion.core.logging import logger

    ask_peer = None
    if is_broker(settings):
        from legion.core.transport.secret_exchange import peer_lookup

        ask_peer = peer_lookup(settings)
    identity = load_or_create_identity(settings.home)
    resolved = resolve_cluster_secret(settings, identity, ask_peer=ask_peer)
    if resolved.source == "peer":
        logger.info("cluster secret received from {}", resolved.where)
    elif resolved.source == "generated":
        logger.info(
            "generated a new cluster secret ({}); other nodes need the same one: set it, copy "
            "it, or list their node ids in crypt.trusted_nodes here",
            resolved.where,
        )
    return resolved.keyring


def secret_responder(settings: Settings, keyring: Keyring | None) -> SecretResponder | None:
    """What answers other nodes' requests for the cluster secret; None off a broker, without a
    secret, or with `crypt.share_secret = "never"`."""
    if keyring is None or not is_broker(settings) or settings.crypt.share_secret == "never":
        return None
    from legion.core.crypto.identity import load_or_create_identity
    from legion.core.transport.secret_exchange import SecretResponder

    return SecretResponder(settings, keyring, load_or_create_identity(settings.home))


def event_bus(settings: Settings, keyring: Keyring | None) -> InProcessBus:
    """The cluster's bus on a broker with `transport.events` on; the in-process one otherwise."""
    if not is_broker(settings) or not settings.transport.events:
        return InProcessBus()
    from legion.core.transport.event_bus import ClusterBus

    return ClusterBus(settings.transport.url, keyring)


def plane_factory(
    settings: Settings,
    registry: CapabilityRegistry,
    db: Database,
    flush: Callable[[], object],
    live: Callable[[str], Task | None],
    resume: Callable[[str], None],
    on_outcome: Callable[[dict[str, Any]], None],
    *,
    keyring: Keyring | None = None,
    consume: bool = True,
) -> PlaneFactory:
    """A factory of the plane for these settings (the engine hands it its task handler)."""
    url = settings.transport.url
    if url.startswith("memory://"):
        return LocalPlane
    if not is_broker(settings):
        raise ConfigError(
            f"transport.url {redact_url(url)} is neither memory:// nor an amqp:// broker",
            hint="use memory:// (lite) or amqp://user:password@host:5672/vhost (RabbitMQ)",
        )
    from legion.core.spool import open_spool
    from legion.core.store.claims import TaskClaims
    from legion.core.transport.queues import queues_for
    from legion.core.transport.rabbitmq_plane import RabbitPlane

    prefix = settings.transport.queue_prefix

    def make(handler: Handler, workers: int) -> Plane:
        return RabbitPlane(
            handler,
            settings=settings.transport,
            workers=workers,
            queues=lambda: queues_for((c.address for c in registry), prefix),
            claims=TaskClaims(db),
            flush=flush,
            keyring=keyring,
            live=live,
            resume=resume,
            on_outcome=on_outcome,
            spool=lambda name: open_spool(settings, name),
            consume=consume,
        )

    return make
