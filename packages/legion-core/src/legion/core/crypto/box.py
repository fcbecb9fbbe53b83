"""Cluster keys: the SecretBox (XSalsa20-Poly1305) built from a 32-byte cluster secret.

The box key and the public key id are derived from the secret with BLAKE2b under distinct
personalisations, so the id reveals nothing and the secret can key other things later.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

from nacl.secret import SecretBox

SECRET_BYTES = 32
KEY_ID_BYTES = 8


def key_id_of(secret: bytes) -> bytes:
    return hashlib.blake2b(secret, digest_size=KEY_ID_BYTES, person=b"legion.key-id").digest()


class ClusterKey:
    """One cluster secret ready to seal and open; its repr shows only the key id."""

    __slots__ = ("_box", "_secret", "key_id")

    def __init__(self, secret: bytes) -> None:
        if not isinstance(secret, bytes | bytearray) or len(secret) != SECRET_BYTES:
            raise ValueError(f"a cluster secret is exactly {SECRET_BYTES} bytes")
        self._secret = bytes(secret)
        self.key_id = key_id_of(self._secret)
        box_key = hashlib.blake2b(self._secret, digest_size=32, person=b"legion.envelope")
        self._box = SecretBox(box_key.digest())

    def __repr__(self) -> str:
        return f"ClusterKey(id={self.key_id.hex()})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ClusterKey) and hmac.compare_digest(self._secret, other._secret)

    def __hash__(self) -> int:
        return hash(self.key_id)

    @property
    def secret(self) -> bytes:
        """The raw secret, for storing it or sending it sealed to another node."""
        return self._secret

    def encrypt(self, plaintext: bytes) -> bytes:
        """A fresh random 24-byte nonce, then the authenticated ciphertext."""
        return bytes(self._box.encrypt(plaintext))

    def decrypt(self, sealed: bytes) -> bytes:
        """Raises nacl.exceptions.CryptoError when the authenticator does not match."""
        return self._box.decrypt(sealed)


class Keyring:
    """The current key seals; previous keys only open, for a grace period after a rotation."""

    __slots__ = ("_by_id", "current", "previous")

    def __init__(
        self, current: ClusterKey | bytes, previous: Iterable[ClusterKey | bytes] = ()
    ) -> None:
        self.current = as_key(current)
        olds = [as_key(k) for k in previous]
        self.previous = tuple(k for k in dict.fromkeys(olds) if k != self.current)
        self._by_id = {k.key_id: k for k in (*reversed(self.previous), self.current)}

    def __repr__(self) -> str:
        olds = ", ".join(k.key_id.hex() for k in self.previous)
        return f"Keyring(current={self.current.key_id.hex()}, previous=[{olds}])"

    @classmethod
    def of(cls, secret: Keyring | ClusterKey | bytes) -> Keyring:
        return secret if isinstance(secret, Keyring) else cls(secret)

    @property
    def keys(self) -> tuple[ClusterKey, ...]:
        """The current key first, then the previous ones."""
        return (self.current, *self.previous)

    def find(self, key_id: bytes) -> ClusterKey | None:
        return self._by_id.get(key_id)

    def rotate(self, new: ClusterKey | bytes) -> Keyring:
        """`new` seals from now on; the current key keeps opening until `retire_previous`."""
        return Keyring(new, (self.current,))

    def retire_previous(self) -> Keyring:
        """End the grace period: messages sealed with an old key are rejected from now on."""
        return Keyring(self.current)


def as_key(value: ClusterKey | bytes) -> ClusterKey:
    return value if isinstance(value, ClusterKey) else ClusterKey(value)
