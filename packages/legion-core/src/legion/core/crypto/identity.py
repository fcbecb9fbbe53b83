"""A node's identity: an Ed25519 key that signs and an X25519 key that receives sealed secrets.

Both are generated on first start and kept in `$LEGION_HOME/keys/node.key` (0600); the node id
is derived from the Ed25519 public key, so anyone holding that key can check a claimed id.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

from nacl.exceptions import BadSignatureError
from nacl.public import PrivateKey
from nacl.signing import SigningKey, VerifyKey

from legion.core.crypto.keyfiles import create_private, read_private
from legion.core.errors import ConfigError

KEYS_DIR = "keys"
IDENTITY_FILE = "node.key"
FORMAT = "legion.node-key.v1"


def node_id_for(verify_key: bytes) -> str:
    """26 lowercase base32 characters of a BLAKE2b hash of the Ed25519 public key."""
    digest = hashlib.blake2b(verify_key, digest_size=16, person=b"legion.node-id").digest()
    return base64.b32encode(digest).decode("ascii").rstrip("=").lower()


def verify_signature(verify_key: bytes, message: bytes, signature: bytes) -> bool:
    try:
        VerifyKey(verify_key).verify(message, signature)
    except (BadSignatureError, ValueError, TypeError):
        return False
    return True


class NodeIdentity:
    """A node's two private keys; the repr names only the node id."""

    __slots__ = ("box_key", "node_id", "signing_key")

    def __init__(self, signing_key: SigningKey, box_key: PrivateKey) -> None:
        self.signing_key = signing_key
        self.box_key = box_key
        self.node_id = node_id_for(bytes(signing_key.verify_key))

    def __repr__(self) -> str:
        return f"NodeIdentity(node_id={self.node_id!r})"

    @classmethod
    def generate(cls) -> NodeIdentity:
        return cls(SigningKey.generate(), PrivateKey.generate())

    @property
    def verify_key(self) -> bytes:
        """The Ed25519 public key (32 bytes)."""
        return bytes(self.signing_key.verify_key)

    @property
    def public_key(self) -> bytes:
        """The X25519 public key (32 bytes) that other nodes seal secrets to."""
        return bytes(self.box_key.public_key)

    def sign(self, message: bytes) -> bytes:
        """The 64-byte detached Ed25519 signature of `message`."""
        return bytes(self.signing_key.sign(message).signature)

    def to_bytes(self) -> bytes:
        return json.dumps(
            {
                "format": FORMAT,
                "sign": b64(bytes(self.signing_key)),
                "box": b64(bytes(self.box_key)),
            }
        ).encode("ascii")

    @classmethod
    def from_bytes(cls, data: bytes, *, source: str = "node key") -> NodeIdentity:
        try:
            doc = json.loads(data)
            if doc.get("format") != FORMAT:
                raise ValueError("unknown format")
            return cls(
                SigningKey(base64.b64decode(doc["sign"], validate=True)),
                PrivateKey(base64.b64decode(doc["box"], validate=True)),
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            raise ConfigError(
                f"{source} is not a Legion node key file",
                hint=f"move {source} away to give this node a new identity",
            ) from None


def identity_path(home: Path) -> Path:
    return home / KEYS_DIR / IDENTITY_FILE


def load_or_create_identity(home: Path) -> NodeIdentity:
    """This node's identity from `home`, created on first start (and by exactly one process)."""
    path = identity_path(home)
    data = read_private(path)
    if data is None:
        fresh = NodeIdentity.generate()
        if create_private(path, fresh.to_bytes()):
            return fresh
        data = read_private(path)
        if data is None:
            raise ConfigError(f"{path} vanished while this node was creating its identity")
    return NodeIdentity.from_bytes(data, source=str(path))


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")
