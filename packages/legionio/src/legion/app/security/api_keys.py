"""API keys: `lgk_<id>_<secret>`, shown once; the store keeps the SHA-256 of the whole key.

The id in the key lets a lookup find one row; the digest is then compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from sqlalchemy import Engine

from legion.app.security.principals import Principal, key_principal
from legion.core.store.api_keys import ApiKeyRecord, ApiKeyStore

PREFIX = "lgk_"
_KEY = re.compile(r"^lgk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$")
# Compared against when the id is unknown, so a miss costs the same as a wrong secret.
_DUMMY = hashlib.sha256(b"legion-no-such-key").hexdigest()


def digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_key() -> tuple[str, str]:
    """(id, key): the id is public, the key is shown once."""
    key_id = secrets.token_hex(8)
    return key_id, f"{PREFIX}{key_id}_{secrets.token_urlsafe(32)}"


def create_key(store: ApiKeyStore, name: str, role: str) -> tuple[ApiKeyRecord, str]:
    key_id, key = new_key()
    return store.add(key_id, name, role, digest(key)), key


class ApiKeyVerifier:
    """Turns an `X-API-Key` value into a principal, or None (unknown, malformed or revoked).

    The row is read on every call (no cache: a revocation holds from the next request).
    `inline` says the lookup may run on the event loop: an SQLite store in WAL mode answers a
    primary-key read in tens of microseconds and readers never wait for writers, which is
    cheaper than a hop to a worker thread; a networked database (PostgreSQL, MySQL) is asked
    from a worker thread.
    """

    def __init__(self, db: Engine) -> None:
        self.store = ApiKeyStore(db)
        self.inline = db.dialect.name == "sqlite"

    def verify(self, presented: str) -> Principal | None:
        match = _KEY.match(presented)
        record = self.store.get(match.group(1)) if match else None
        stored = record.digest if record is not None else _DUMMY
        same = hmac.compare_digest(digest(presented), stored)
        if record is None or not same or not record.active:
            return None
        return key_principal(record.id, record.role)
