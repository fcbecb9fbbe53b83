"""Security on the wire for full mode: sealed messages, node identities and the cluster secret.

`seal`/`open` encrypt and authenticate a message body together with its routing; a node's
`NodeIdentity` signs and receives the cluster secret, which `resolve_cluster_secret` finds.
"""

from legion.core.crypto.box import ClusterKey, Keyring
from legion.core.crypto.cluster_secret import (
    ResolvedSecret,
    decode_secret,
    encode_secret,
    generate_secret,
    resolve_cluster_secret,
)
from legion.core.crypto.envelope import BOUND_HEADERS, open, seal
from legion.core.crypto.errors import Reason, RejectedMessage, SecretExchangeError
from legion.core.crypto.exchange import (
    SecretRequest,
    SecretResponse,
    accept_secret_response,
    answer_secret_request,
    request_secret,
)
from legion.core.crypto.identity import NodeIdentity, load_or_create_identity, node_id_for

__all__ = [
    "BOUND_HEADERS",
    "ClusterKey",
    "Keyring",
    "NodeIdentity",
    "Reason",
    "RejectedMessage",
    "ResolvedSecret",
    "SecretExchangeError",
    "SecretRequest",
    "SecretResponse",
    "accept_secret_response",
    "answer_secret_request",
    "decode_secret",
    "encode_secret",
    "generate_secret",
    "load_or_create_identity",
    "node_id_for",
    "open",
    "request_secret",
    "resolve_cluster_secret",
    "seal",
]
