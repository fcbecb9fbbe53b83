"""Handing the cluster secret to a new node: a signed request, a sealed and signed answer.

The requester names its X25519 public key; a node holding the secret seals its keyring to that key
with a SealedBox, so only the requester can read it. Both sides sign with Ed25519 and the node id
must match the signing key. The request id is sealed inside the answer so an old answer cannot be
replayed. Who may ask is the transport's authentication, narrowed by `authorize`/`trusted`.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from typing import Any

from nacl.exceptions import CryptoError
from nacl.public import PublicKey, SealedBox

from legion.core.crypto.box import SECRET_BYTES, Keyring
from legion.core.crypto.errors import SecretExchangeError
from legion.core.crypto.identity import NodeIdentity, node_id_for, verify_signature

REQUEST_TYPE = "legion.cluster-secret.request"
RESPONSE_TYPE = "legion.cluster-secret.response"
PAYLOAD_MAGIC = b"LCS1"
REQUEST_ID_BYTES = 16
MAX_KEYS = 8


@dataclass(frozen=True)
class SecretRequest:
    """A node asking for the cluster secret, to be answered sealed to `box_key`."""

    node_id: str
    verify_key: bytes
    box_key: bytes
    request_id: bytes
    signature: bytes

    def signed_bytes(self) -> bytes:
        return REQUEST_TYPE.encode() + b"\0" + self.verify_key + self.box_key + self.request_id

    def check(self) -> None:
        """Raises unless well formed, the node id is its key's and the signature holds."""
        if len(self.verify_key) != 32 or len(self.box_key) != 32:
            raise SecretExchangeError("secret request: public keys must be 32 bytes")
        if len(self.request_id) != REQUEST_ID_BYTES:
            raise SecretExchangeError("secret request: malformed request id")
        if node_id_for(self.verify_key) != self.node_id:
            raise SecretExchangeError(f"secret request: node id {self.node_id} is not its key's")
        if not verify_signature(self.verify_key, self.signed_bytes(), self.signature):
            raise SecretExchangeError(f"secret request from {self.node_id}: bad signature")

    def to_bytes(self) -> bytes:
        return dump(
            REQUEST_TYPE,
            self.node_id,
            verify_key=self.verify_key,
            box_key=self.box_key,
            request_id=self.request_id,
            signature=self.signature,
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> SecretRequest:
        doc = load(data, REQUEST_TYPE, ("verify_key", "box_key", "request_id", "signature"))
        return cls(
            node_id=doc["node_id"],
            verify_key=doc["verify_key"],
            box_key=doc["box_key"],
            request_id=doc["request_id"],
            signature=doc["signature"],
        )


@dataclass(frozen=True)
class SecretResponse:
    """A node's answer: the keyring sealed to the requester, signed by the answering node."""

    node_id: str
    verify_key: bytes
    request_id: bytes
    sealed: bytes
    signature: bytes

    def __repr__(self) -> str:
        return f"SecretResponse(node_id={self.node_id!r}, request_id={self.request_id.hex()})"

    def signed_bytes(self) -> bytes:
        return RESPONSE_TYPE.encode() + b"\0" + self.verify_key + self.request_id + self.sealed

    def to_bytes(self) -> bytes:
        return dump(
            RESPONSE_TYPE,
            self.node_id,
            verify_key=self.verify_key,
            request_id=self.request_id,
            sealed=self.sealed,
            signature=self.signature,
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> SecretResponse:
        doc = load(data, RESPONSE_TYPE, ("verify_key", "request_id", "sealed", "signature"))
        return cls(
            node_id=doc["node_id"],
            verify_key=doc["verify_key"],
            request_id=doc["request_id"],
            sealed=doc["sealed"],
            signature=doc["signature"],
        )


def request_secret(identity: NodeIdentity) -> SecretRequest:
    """A fresh signed request from this node; keep it to check the answer against."""
    request_id = secrets.token_bytes(REQUEST_ID_BYTES)
    unsigned = SecretRequest(
        identity.node_id, identity.verify_key, identity.public_key, request_id, b""
    )
    return replace(unsigned, signature=identity.sign(unsigned.signed_bytes()))


def answer_secret_request(
    request: SecretRequest,
    keyring: Keyring,
    identity: NodeIdentity,
    *,
    authorize: Callable[[SecretRequest], bool] | None = None,
) -> SecretResponse:
    """Seal `keyring` (current key first) to the requester; refuses bad or unwanted requests."""
    request.check()
    if authorize is not None and not authorize(request):
        raise SecretExchangeError(f"node {request.node_id} is not allowed the cluster secret")
    keys = keyring.keys[:MAX_KEYS]
    payload = PAYLOAD_MAGIC + request.request_id + bytes([len(keys)])
    payload += b"".join(k.secret for k in keys)
    sealed = bytes(SealedBox(PublicKey(request.box_key)).encrypt(payload))
    unsigned = SecretResponse(
        identity.node_id, identity.verify_key, request.request_id, sealed, b""
    )
    return replace(unsigned, signature=identity.sign(unsigned.signed_bytes()))


def accept_secret_response(
    response: SecretResponse,
    request: SecretRequest,
    identity: NodeIdentity,
    *,
    trusted: Collection[str] | None = None,
) -> Keyring:
    """The keyring in an answer to `request`, after checking who sent it and that it is fresh."""
    check_response(response, request, trusted=trusted)
    try:
        payload = SealedBox(identity.box_key).decrypt(response.sealed)
    except CryptoError:
        raise SecretExchangeError(
            f"secret response from {response.node_id} is not sealed to this node"
        ) from None
    head = len(PAYLOAD_MAGIC) + REQUEST_ID_BYTES + 1
    count = payload[head - 1] if len(payload) >= head else 0
    if (
        not payload.startswith(PAYLOAD_MAGIC)
        or payload[len(PAYLOAD_MAGIC) : head - 1] != request.request_id
        or not 1 <= count <= MAX_KEYS
        or len(payload) != head + count * SECRET_BYTES
    ):
        raise SecretExchangeError(f"secret response from {response.node_id} is malformed")
    keys = [payload[head + i * SECRET_BYTES : head + (i + 1) * SECRET_BYTES] for i in range(count)]
    return Keyring(keys[0], keys[1:])


def check_response(
    response: SecretResponse, request: SecretRequest, *, trusted: Collection[str] | None = None
) -> None:
    """Raises unless `response` answers `request`, is signed by its node and, with `trusted`,
    comes from one of those node ids (what can be checked without the requester's private key)."""
    if response.request_id != request.request_id:
        raise SecretExchangeError("secret response answers another request")
    if node_id_for(response.verify_key) != response.node_id:
        raise SecretExchangeError(f"secret response: node id {response.node_id} is not its key's")
    if not verify_signature(response.verify_key, response.signed_bytes(), response.signature):
        raise SecretExchangeError(f"secret response from {response.node_id}: bad signature")
    if trusted is not None and response.node_id not in trusted:
        raise SecretExchangeError(f"secret response from untrusted node {response.node_id}")


def dump(kind: str, node_id: str, **fields: bytes) -> bytes:
    doc: dict[str, Any] = {"type": kind, "node_id": node_id}
    doc.update({k: base64.b64encode(v).decode("ascii") for k, v in fields.items()})
    return json.dumps(doc, separators=(",", ":")).encode("ascii")


def load(data: bytes, kind: str, fields: tuple[str, ...]) -> dict[str, Any]:
    """The decoded fields of a message of `kind`; raises SecretExchangeError when malformed."""
    try:
        doc = json.loads(data)
        if not isinstance(doc, dict) or doc.get("type") != kind:
            raise ValueError(kind)
        out: dict[str, Any] = {"node_id": str(doc["node_id"])}
        for key in fields:
            out[key] = base64.b64decode(doc[key], validate=True)
        return out
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise SecretExchangeError(f"not a well-formed {kind} message") from None
