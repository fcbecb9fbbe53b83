"""The HS256 keys of API tokens, derived from the cluster secret (current and previous).

A derived key (HMAC of a fixed label) keeps tokens from ever being a use of the raw secret
that seals transport messages; the previous secret keeps tokens valid through a rotation.
"""

from __future__ import annotations

import hashlib
import hmac

from legion.core.settings import Settings

LABEL = b"legion api token hs256 v1"


def derive(secret: bytes) -> bytes:
    return hmac.new(secret, LABEL, hashlib.sha256).digest()


def token_keys(settings: Settings) -> tuple[bytes, ...]:
    """Signing key first, then keys that still verify (from the previous cluster secret)."""
    from legion.core.crypto.cluster_secret import resolve_cluster_secret
    from legion.core.crypto.identity import load_or_create_identity

    resolved = resolve_cluster_secret(settings, load_or_create_identity(settings.home))
    return tuple(derive(key.secret) for key in resolved.keyring.keys)
