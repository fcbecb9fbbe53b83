"""The cluster secret from another node, over the broker (kombu, like the replies and events).

Every node that holds the secret and consumes tasks runs a `SecretResponder` while its runtime is
started: an exclusive queue bound to the fanout exchange `<transport.queue_prefix>.legion.cluster-
secret`. A node with no secret in settings, Vault or its file publishes a signed `SecretRequest`
there (`ask_peer`), naming a reply queue of its own, and takes the first answer it trusts within
`crypt.peer_timeout`; the answer holds the keyring sealed to the requester's X25519 key and is
signed by the answering node, so only the requester can read it.

Who is trusted (`crypt.share_secret`):

- `"trusted"` (default): a node answers only requesters whose node id is in its own
  `crypt.trusted_nodes`, and a requester accepts an answer only from a node in *its*
  `crypt.trusted_nodes`. Trust is mutual: one list of the cluster's node ids (`legion node id`),
  shared by every node, does both. A requester must not take any validly signed answer: anyone
  able to publish on the broker could then hand a new node a secret of their own and have it run
  their tasks.
- `"any"`: broker credentials are the whole trust boundary, both ways: this node answers any
  validly signed request and, when it asks, accepts any validly signed answer.
- `"never"`: this node answers nobody (it may still ask, trusting `crypt.trusted_nodes`).

Every answered or refused request is logged with the requester's node id, never the secret.
"""

from __future__ import annotations

import contextlib
import functools
import threading
import time
import uuid
from typing import Any

from kombu.connection import Connection
from kombu.entity import Exchange, Queue
from kombu.messaging import Consumer, Producer

from legion.core.crypto.box import Keyring
from legion.core.crypto.cluster_secret import AskPeer
from legion.core.crypto.errors import SecretExchangeError
from legion.core.crypto.exchange import (
    SecretRequest,
    SecretResponse,
    answer_secret_request,
    check_response,
)
from legion.core.crypto.identity import NodeIdentity
from legion.core.errors import ConfigError
from legion.core.logging import logger
from legion.core.settings.model import Settings
from legion.core.settings.redact import redact_url
from legion.core.transport.planes import is_broker

EXCHANGE_SUFFIX = "legion.cluster-secret"
REPLY_PREFIX = "legion.secret-reply."
CONTENT = {"content_type": "application/octet-stream", "content_encoding": "binary"}
RECONNECT_DELAY = 1.0


def exchange_name(settings: Settings) -> str:
    """One exchange per cluster on a broker: clusters sharing a vhost use their own prefix."""
    return f"{settings.transport.queue_prefix}.{EXCHANGE_SUFFIX}"


def exchange(name: str) -> Exchange:
    # Transient and auto-deleted: it exists while a node listens; a requester declares it too.
    return Exchange(name, type="fanout", durable=False, auto_delete=True)  # type: ignore[no-untyped-call]


def trusted_peers(settings: Settings) -> frozenset[str] | None:
    """The node ids this node sends the secret to and takes it from; None: any node."""
    if settings.crypt.share_secret == "any":
        return None
    return frozenset(settings.crypt.trusted_nodes)


def peer_lookup(settings: Settings) -> AskPeer | None:
    """`ask_peer` for `resolve_cluster_secret`, or None when no node is to be asked: not on a
    broker, `crypt.ask_peers` off, or no node whose answer this node would accept."""
    if not settings.crypt.ask_peers or not is_broker(settings):
        return None
    if trusted_peers(settings) == frozenset():
        return None
    return functools.partial(ask_peer, settings)


def ask_peer(settings: Settings, request: SecretRequest) -> SecretResponse | None:
    """Publish `request` to the cluster and return the first answer this node trusts (signed by
    its node, answering this request), or None when none came within `crypt.peer_timeout`.

    Raises ConfigError when the broker cannot be reached: generating a secret then would split
    this node off a cluster that may already have one.
    """
    url = settings.transport.url
    trusted = trusted_peers(settings)
    timeout = settings.crypt.peer_timeout
    reply_to = f"{REPLY_PREFIX}{uuid.uuid4().hex}"
    answers: list[SecretResponse] = []

    def take(_body: Any, message: Any) -> None:
        if answers:
            return
        try:
            response = SecretResponse.from_bytes(raw_body(message))
            check_response(response, request, trusted=trusted)
        except SecretExchangeError as exc:
            logger.warning(
                "ignored an answer to this node's cluster secret request: {}", exc.message
            )
            return
        answers.append(response)

    logger.info(
        "asking the nodes on {} for the cluster secret as node {} (waiting up to {}s)",
        redact_url(url),
        request.node_id,
        timeout,
    )
    try:
        with Connection(url, connect_timeout=settings.transport.connect_timeout) as conn:  # type: ignore[no-untyped-call]
            conn.connect()
            channel = conn.channel()
            replies = Queue(reply_to, exclusive=True, auto_delete=True, durable=False)  # type: ignore[no-untyped-call]
            with Consumer(  # type: ignore[no-untyped-call]
                channel, queues=[replies], callbacks=[take], no_ack=True, accept=None
            ):
                producer: Any = Producer(channel, exchange=exchange(exchange_name(settings)))  # type: ignore[no-untyped-call]
                producer.publish(
                    request.to_bytes(),
                    routing_key="",
                    reply_to=reply_to,
                    correlation_id=request.request_id.hex(),
                    retry=False,
                    **CONTENT,
                )
                deadline = time.monotonic() + timeout
                while not answers:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        break
                    with contextlib.suppress(TimeoutError):
                        conn.drain_events(timeout=min(left, 0.5))
    except Exception as exc:
        raise ConfigError(
            f"cannot ask other nodes for the cluster secret over the broker at {redact_url(url)} "
            f"({type(exc).__name__})",
            hint="start the broker, or set crypt.cluster_secret on this node, or set "
            "crypt.ask_peers = false to let it generate a secret of its own",
        ) from None
    if not answers:
        logger.info("no trusted node sent the cluster secret within {}s", timeout)
        return None
    logger.info("node {} sent the cluster secret to this node", answers[0].node_id)
    return answers[0]


def raw_body(message: Any) -> bytes:
    body = message.body
    return body if isinstance(body, bytes) else str(body).encode()


class SecretResponder:
    """Answers other nodes' cluster secret requests, in a thread, while the runtime runs."""

    def __init__(self, settings: Settings, keyring: Keyring, identity: NodeIdentity) -> None:
        self.url = settings.transport.url
        self.exchange_name = exchange_name(settings)
        self.queue_name = f"{self.exchange_name}.{uuid.uuid4().hex}"
        self.trusted = trusted_peers(settings)
        self.answered = 0
        self.refused = 0
        self._connect_timeout = settings.transport.connect_timeout
        self._keyring = keyring
        self._identity = identity
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None

    def allows(self, request: SecretRequest) -> bool:
        return self.trusted is None or request.node_id in self.trusted

    def start(self, timeout: float = 10.0) -> None:
        """Start listening; returns once the queue is bound (or after `timeout`)."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._ready.clear()
        self._thread = threading.Thread(target=self._run, name="legion-secret", daemon=True)
        self._thread.start()
        self._ready.wait(timeout)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def _run(self) -> None:
        queue = Queue(  # type: ignore[no-untyped-call]
            self.queue_name,
            exchange=exchange(self.exchange_name),
            routing_key="",
            exclusive=True,
            auto_delete=True,
            durable=False,
        )
        while not self._stop.is_set():
            try:
                with Connection(  # type: ignore[no-untyped-call]
                    self.url, heartbeat=30, connect_timeout=self._connect_timeout
                ) as conn:
                    channel = conn.channel()
                    producer: Any = Producer(channel)  # type: ignore[no-untyped-call]
                    with Consumer(  # type: ignore[no-untyped-call]
                        channel,
                        queues=[queue],
                        callbacks=[functools.partial(self._handle, producer)],
                        no_ack=True,
                        accept=None,
                    ):
                        self._ready.set()
                        while not self._stop.is_set():
                            try:
                                conn.drain_events(timeout=0.5)
                            except TimeoutError:
                                conn.heartbeat_check()
            except Exception as exc:  # the broker went away: listen again when it is back
                if self._stop.is_set():
                    return
                logger.warning("cluster secret queue lost ({}); reconnecting", type(exc).__name__)
                self._stop.wait(RECONNECT_DELAY)

    def _handle(self, producer: Any, _body: Any, message: Any) -> None:
        try:
            request = SecretRequest.from_bytes(raw_body(message))
            request.check()
        except SecretExchangeError as exc:
            self.refused += 1
            logger.warning("refused a cluster secret request: {}", exc.message)
            return
        reply_to = str(message.properties.get("reply_to") or "")
        if not reply_to.startswith(REPLY_PREFIX):
            self.refused += 1
            logger.warning(
                "refused the cluster secret to node {}: no reply queue of its own", request.node_id
            )
            return
        if not self.allows(request):
            self.refused += 1
            logger.warning(
                "refused the cluster secret to node {}: not in crypt.trusted_nodes (add it there "
                "to let it join)",
                request.node_id,
            )
            return
        try:
            response = answer_secret_request(
                request, self._keyring, self._identity, authorize=self.allows
            )
        except SecretExchangeError as exc:
            self.refused += 1
            logger.warning(
                "refused the cluster secret to node {}: {}", request.node_id, exc.message
            )
            return
        producer.publish(
            response.to_bytes(),
            exchange="",
            routing_key=reply_to,
            correlation_id=request.request_id.hex(),
            retry=False,
            **CONTENT,
        )
        self.answered += 1
        logger.info("sent the cluster secret to node {} (sealed to its key)", request.node_id)
