"""RSA and Ed25519 keys of bearer tokens: the key's type alone fixes its JWT algorithm.

An RSA key signs and verifies RS256 only, an Ed25519 key EdDSA only, an HMAC key (bytes, from
the cluster secret) HS256 only. A token's header never chooses the kind of key it is checked
with, so an HS256 token "signed" with an RSA public key's PEM as the secret has nothing to
verify against.

Public keys come from `api.auth.public_keys` (PEM files or PEM text); private keys are read by
`legion auth token --private-key` and written by `legion auth keypair`. `cryptography` is
imported only when such a key is used, so HS256-only nodes never load it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from legion.core.errors import ConfigError, UsageError

HS256, RS256, EDDSA = "HS256", "RS256", "EdDSA"
MIN_RSA_BITS = 2048
KeyKind = Literal["rsa", "ed25519"]


@dataclass(frozen=True)
class VerifyKey:
    """One key a token may verify under, with the only algorithm it verifies."""

    algorithm: str
    key: Any  # bytes (HS256) or a cryptography public key object
    kid: str | None = None
    source: str = "cluster secret"


def _crypto() -> Any:
    try:
        from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
    except ImportError:  # pragma: no cover - cryptography ships with the dependency set
        raise UsageError(
            "RS256 and EdDSA tokens need the `cryptography` package",
            hint="pip install cryptography",
        ) from None
    return rsa, ed25519


def verifying_algorithm(key: Any) -> str:
    """HS256 for bytes, RS256 for an RSA public key, EdDSA for an Ed25519 public key."""
    if isinstance(key, bytes):
        return HS256
    rsa, ed25519 = _crypto()
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < MIN_RSA_BITS:
            raise ValueError(f"RSA keys need at least {MIN_RSA_BITS} bits, not {key.key_size}")
        return RS256
    if isinstance(key, ed25519.Ed25519PublicKey):
        return EDDSA
    raise ValueError(f"unsupported public key type {type(key).__name__} (use RSA or Ed25519)")


def signing_algorithm(key: Any) -> str:
    """HS256 for bytes, RS256 for an RSA private key, EdDSA for an Ed25519 private key."""
    if isinstance(key, bytes):
        return HS256
    rsa, ed25519 = _crypto()
    if isinstance(key, rsa.RSAPrivateKey):
        if key.key_size < MIN_RSA_BITS:
            raise ValueError(f"RSA keys need at least {MIN_RSA_BITS} bits, not {key.key_size}")
        return RS256
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return EDDSA
    raise ValueError(f"unsupported private key type {type(key).__name__} (use RSA or Ed25519)")


def _pem_text(value: str) -> tuple[bytes, str]:
    """The PEM bytes of a settings entry (inline text, or a file's path) and a name for it."""
    if value.lstrip().startswith("-----BEGIN"):
        return value.strip().encode(), "inline PEM"
    path = Path(value).expanduser()
    try:
        return path.read_bytes(), str(path)
    except OSError as exc:
        raise ConfigError(
            f"api.auth.public_keys: cannot read {path}: {exc.strerror or exc}",
            hint="give the path of a PEM public key file, or the PEM text itself",
        ) from None


def load_public_key(entry: Any) -> VerifyKey:
    """A `api.auth.public_keys` entry (a string, or an object with `key` and `kid`)."""
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    value, kid = (entry, None) if isinstance(entry, str) else (entry.key, entry.kid)
    data, source = _pem_text(value)
    if b"PRIVATE KEY" in data:
        raise ConfigError(
            f"api.auth.public_keys: {source} holds a private key",
            hint="configure only the public half (`legion auth keypair` writes it as *.pub.pem)",
        )
    try:
        key = load_pem_public_key(data)
        algorithm = verifying_algorithm(key)
    except ValueError as exc:
        raise ConfigError(
            f"api.auth.public_keys: {source} is not a usable public key: {exc}",
            hint="RSA (2048 bits or more) or Ed25519 public keys in PEM form",
        ) from None
    return VerifyKey(algorithm, key, kid, source)


def load_public_keys(entries: list[Any]) -> tuple[VerifyKey, ...]:
    if not entries:
        return ()
    _crypto()
    return tuple(load_public_key(entry) for entry in entries)


def load_private_key(path: Path, password: bytes | None = None) -> Any:
    """An RSA or Ed25519 private key from a PEM (PKCS#8, traditional or OpenSSH) file."""
    _crypto()
    from cryptography.hazmat.primitives import serialization

    try:
        data = path.expanduser().read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        if b"OPENSSH PRIVATE KEY" in data:
            key: Any = serialization.load_ssh_private_key(data, password)
        else:
            key = serialization.load_pem_private_key(data, password)
        signing_algorithm(key)
    except TypeError as exc:  # encrypted without a password, or a password it does not need
        raise PasswordNeeded(str(exc)) from None
    except ValueError as exc:
        raise UsageError(
            f"{path} is not a usable private key: {exc}",
            hint="an RSA (2048 bits or more) or Ed25519 private key in PEM form",
        ) from None
    return key


class PasswordNeeded(UsageError):
    """The private key file is encrypted (or is not, and a password was given)."""


def generate(kind: KeyKind, bits: int = 3072) -> tuple[bytes, bytes]:
    """A new key pair as (private PEM, PKCS#8 unencrypted; public PEM, SubjectPublicKeyInfo)."""
    rsa, ed25519 = _crypto()
    from cryptography.hazmat.primitives import serialization

    if kind == "rsa":
        if bits < MIN_RSA_BITS:
            raise UsageError(f"RSA keys need at least {MIN_RSA_BITS} bits")
        private: Any = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    else:
        private = ed25519.Ed25519PrivateKey.generate()
    private_pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private_pem, public_pem


def write_new(path: Path, data: bytes, mode: int) -> None:
    """Create `path` with `mode` from the start (never a moment world-readable); never
    overwrite."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as out:
        os.fchmod(fd, mode)  # the umask may have narrowed it; say exactly what was asked
        out.write(data)
