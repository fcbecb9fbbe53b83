"""Sealed transport messages: the body and its routing metadata, encrypted and authenticated.

Layout: version (1 byte) | key id (8) | nonce (24) | Poly1305 tag (16) | ciphertext. The
plaintext repeats the version and key id and carries the bound headers (exchange, routing key,
message id) before the body, so a message replayed to another queue or re-labelled is rejected.
"""

from __future__ import annotations

import hmac
import json
import struct
from collections.abc import Mapping, Sequence
from typing import Any

from nacl.exceptions import CryptoError

from legion.core.crypto.box import KEY_ID_BYTES, ClusterKey, Keyring
from legion.core.crypto.errors import Reason, RejectedMessage

VERSION = 1
PREFIX_BYTES = 1 + KEY_ID_BYTES
OVERHEAD = PREFIX_BYTES + 24 + 16  # version, key id, nonce, tag
BOUND_HEADERS: tuple[str, ...] = ("exchange", "routing_key", "message_id")
META_LEN = struct.Struct(">I")


def bound_metadata(headers: Mapping[str, Any], bind: Sequence[str]) -> bytes:
    """A canonical encoding of the bound headers; an absent header binds as null."""
    values: dict[str, str | None] = {}
    for name in bind:
        value = headers.get(name)
        if isinstance(value, bytes):
            value = value.decode("utf-8", "surrogateescape")
        values[name] = None if value is None else str(value)
    return json.dumps(values, sort_keys=True, separators=(",", ":")).encode("utf-8")


def seal(
    body: bytes,
    headers: Mapping[str, Any],
    secret: Keyring | ClusterKey | bytes,
    *,
    bind: Sequence[str] = BOUND_HEADERS,
) -> bytes:
    """Encrypt `body` with the current cluster key, bound to the routing in `headers`."""
    key = Keyring.of(secret).current
    prefix = bytes([VERSION]) + key.key_id
    meta = bound_metadata(headers, bind)
    return prefix + key.encrypt(prefix + META_LEN.pack(len(meta)) + meta + bytes(body))


def open(  # shadows the builtin on purpose: the pair is seal/open
    data: bytes,
    headers: Mapping[str, Any],
    secret: Keyring | ClusterKey | bytes,
    *,
    bind: Sequence[str] = BOUND_HEADERS,
) -> bytes:
    """The body of a sealed message delivered with `headers`; raises `RejectedMessage`."""
    keyring = Keyring.of(secret)
    data = bytes(data)
    if len(data) < OVERHEAD:
        raise RejectedMessage(Reason.TRUNCATED, f"{len(data)} bytes, at least {OVERHEAD} needed")
    if data[0] != VERSION:
        raise RejectedMessage(Reason.VERSION, f"envelope version {data[0]}, this node reads 1")
    key = keyring.find(data[1:PREFIX_BYTES])
    if key is None:
        raise RejectedMessage(
            Reason.UNKNOWN_KEY, f"sealed with key {data[1:PREFIX_BYTES].hex()}, not in the keyring"
        )
    try:
        plain = key.decrypt(data[PREFIX_BYTES:])
    except CryptoError:
        raise RejectedMessage(Reason.FORGED, "authentication failed") from None
    return check_plaintext(plain, data[:PREFIX_BYTES], bound_metadata(headers, bind))


def check_plaintext(plain: bytes, prefix: bytes, expected_meta: bytes) -> bytes:
    start = PREFIX_BYTES + META_LEN.size
    if len(plain) < start or not hmac.compare_digest(plain[:PREFIX_BYTES], prefix):
        raise RejectedMessage(Reason.MALFORMED, "the sealed header does not match the envelope")
    (meta_len,) = META_LEN.unpack_from(plain, PREFIX_BYTES)
    if len(plain) < start + meta_len:
        raise RejectedMessage(Reason.MALFORMED, "the sealed metadata is cut short")
    meta = plain[start : start + meta_len]
    if not hmac.compare_digest(meta, expected_meta):
        raise RejectedMessage(
            Reason.ROUTING,
            f"delivered with another {differing(meta, expected_meta)} than sealed for",
        )
    return plain[start + meta_len :]


def differing(sealed: bytes, delivered: bytes) -> str:
    """Which bound headers differ, by name only: values can be sensitive and are not logged."""
    try:
        a, b = json.loads(sealed), json.loads(delivered)
    except ValueError:
        return "the bound headers"
    if not isinstance(a, dict) or not isinstance(b, dict):
        return "the bound headers"
    names = sorted(n for n in set(a) | set(b) if a.get(n) != b.get(n) or (n in a) != (n in b))
    return ", ".join(names) or "the bound headers"
