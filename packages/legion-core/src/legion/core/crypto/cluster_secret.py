"""The cluster secret that seals every message in full mode, and where a node gets it.

Order: `crypt.cluster_secret` (a value or an env://, file://, vault:// reference), else Vault at
`crypt.vault_path` when `vault.address` is set, else `$LEGION_HOME/keys/cluster_secret` when Vault
is not configured, else another node (sealed to this node's key), else this node generates it and
stores it in Vault (check-and-set, so concurrent first nodes agree) or in that file (0600). A
secret received from another node is stored the same way, so the node needs no peer next time.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import nacl.utils
from pydantic import SecretStr

from legion.core.crypto.box import SECRET_BYTES, Keyring
from legion.core.crypto.errors import SecretExchangeError
from legion.core.crypto.exchange import (
    SecretRequest,
    SecretResponse,
    accept_secret_response,
    request_secret,
)
from legion.core.crypto.identity import KEYS_DIR, NodeIdentity
from legion.core.crypto.keyfiles import create_private, read_private
from legion.core.errors import ConfigError
from legion.core.settings.model import Settings
from legion.core.settings.vault import VaultClient, VaultConfig, VaultFailure

SECRET_FILE = "cluster_secret"
VAULT_KEY = "cluster_secret"
VAULT_PREVIOUS_KEY = "previous_cluster_secret"
GENERATE_HINT = (
    'generate one with: python -c "import base64, os; print(base64.b64encode(os.urandom(32))'
    '.decode())"'
)
HEX = re.compile(r"[0-9a-fA-F]{64}")

Source = Literal["settings", "vault", "file", "peer", "generated"]
AskPeer = Callable[[SecretRequest], SecretResponse | None]


@dataclass(frozen=True)
class ResolvedSecret:
    """The keyring and where it came from (`where` is a setting, Vault path or file, no secret)."""

    keyring: Keyring
    source: Source
    where: str


def generate_secret() -> bytes:
    return bytes(nacl.utils.random(SECRET_BYTES))


def encode_secret(secret: bytes) -> str:
    return base64.b64encode(secret).decode("ascii")


def decode_secret(text: str | SecretStr, *, where: str) -> bytes:
    """32 bytes from base64 (standard or URL-safe) or hex; errors name `where`, never the value."""
    raw = (text.get_secret_value() if isinstance(text, SecretStr) else text).strip()
    if HEX.fullmatch(raw):
        return bytes.fromhex(raw)
    try:
        padded = raw + "=" * (-len(raw) % 4)
        secret = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        secret = b""
    if len(secret) != SECRET_BYTES:
        raise ConfigError(
            f"{where} is not a {SECRET_BYTES}-byte cluster secret in base64 or hex",
            hint=GENERATE_HINT,
        )
    return secret


def secret_file(home: Path) -> Path:
    return home / KEYS_DIR / SECRET_FILE


def resolve_cluster_secret(
    settings: Settings,
    identity: NodeIdentity,
    *,
    ask_peer: AskPeer | None = None,
    vault: VaultClient | None = None,
) -> ResolvedSecret:
    """This node's keyring, from the first source that has one (see the module docstring).

    `ask_peer` sends the request to the cluster and returns the first answer it trusts, or None
    when no node answered within `crypt.peer_timeout`; without it no node is asked (see
    `legion.core.transport.secret_exchange.peer_lookup`).
    """
    crypt = settings.crypt
    previous = []
    if crypt.previous_cluster_secret is not None:
        where = "crypt.previous_cluster_secret"
        previous.append(decode_secret(crypt.previous_cluster_secret, where=where))
    if crypt.cluster_secret is not None:
        current = decode_secret(crypt.cluster_secret, where="crypt.cluster_secret")
        return ResolvedSecret(Keyring(current, previous), "settings", "crypt.cluster_secret")

    if vault is None:
        config = VaultConfig.from_settings(settings.vault)
        vault = VaultClient(config) if config is not None else None
    vault_where = f"Vault {settings.vault.mount}/{crypt.vault_path}"
    path = secret_file(settings.home)
    if vault is not None:
        found = read_vault(vault, crypt.vault_path)
        if found is not None:
            return ResolvedSecret(found, "vault", vault_where)
    else:
        found = read_file(path)
        if found is not None:
            return ResolvedSecret(found, "file", str(path))

    if ask_peer is not None:
        request = request_secret(identity)
        response = ask_peer(request)
        if response is not None:
            try:
                keyring = accept_secret_response(response, request, identity)
            except SecretExchangeError as exc:
                raise ConfigError(
                    f"cannot take the cluster secret from another node: {exc.message}",
                    hint="set crypt.cluster_secret on this node, or configure Vault",
                ) from None
            where = f"node {response.node_id}"
            if vault is not None:
                keep_in_vault(vault, crypt.vault_path, keyring, where)
            else:
                keyring = keep_in_file(path, keyring, where)
            return ResolvedSecret(keyring, "peer", where)

    if vault is not None:
        return ResolvedSecret(generate_in_vault(vault, crypt.vault_path), "generated", vault_where)
    return ResolvedSecret(generate_in_file(path), "generated", str(path))


def read_vault(vault: VaultClient, vault_path: str) -> Keyring | None:
    where = f"Vault {vault.config.mount}/{vault_path}"
    try:
        values = vault.read(vault_path)
    except VaultFailure as exc:
        if exc.kind == "missing":
            return None
        raise ConfigError(
            f"cannot read the cluster secret: {exc.message}",
            hint=exc.hint or "fix the vault settings, or set crypt.cluster_secret",
        ) from None
    if VAULT_KEY not in values:
        return None
    current = decode_secret(str(values[VAULT_KEY]), where=f"{where}#{VAULT_KEY}")
    olds = values.get(VAULT_PREVIOUS_KEY)
    previous = [decode_secret(str(olds), where=f"{where}#{VAULT_PREVIOUS_KEY}")] if olds else []
    return Keyring(current, previous)


def read_file(path: Path) -> Keyring | None:
    data = read_private(path)
    if data is None:
        return None
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        text = ""
    return Keyring(decode_secret(text, where=str(path)))


def keep_in_file(path: Path, keyring: Keyring, where: str) -> Keyring:
    """Store a secret received from `where` in the file, so this node needs no peer next time."""
    if create_private(path, encode_secret(keyring.current.secret).encode("ascii") + b"\n"):
        return keyring
    stored = read_file(path)  # another process on this home stored one meanwhile
    if stored is None or stored.current.secret != keyring.current.secret:
        raise ConfigError(
            f"{path} appeared while this node was taking the cluster secret from {where}, and "
            "holds another secret",
            hint=f"remove {path} unless this cluster uses it, then start this node again",
        )
    return keyring


def keep_in_vault(vault: VaultClient, vault_path: str, keyring: Keyring, where: str) -> None:
    """Store a secret received from `where` in Vault (check-and-set: never over another one);
    when that fails this node still uses it, and asks again on its next start."""
    from legion.core.logging import logger

    values = {VAULT_KEY: encode_secret(keyring.current.secret)}
    if keyring.previous:
        values[VAULT_PREVIOUS_KEY] = encode_secret(keyring.previous[0].secret)
    try:
        vault.write(vault_path, values, cas=0)
    except VaultFailure as exc:
        logger.warning(
            "cluster secret from {} not stored in Vault {}/{}: {}",
            where,
            vault.config.mount,
            vault_path,
            exc.message,
        )


def generate_in_vault(vault: VaultClient, vault_path: str) -> Keyring:
    """Create the secret unless another node just did (cas=0); then use the one it wrote."""
    secret = generate_secret()
    try:
        vault.write(vault_path, {VAULT_KEY: encode_secret(secret)}, cas=0)
        return Keyring(secret)
    except VaultFailure as exc:
        if exc.kind != "conflict":
            raise ConfigError(
                f"cannot store the new cluster secret: {exc.message}",
                hint=exc.hint or "let vault.token write there, or set crypt.cluster_secret",
            ) from None
    stored = read_vault(vault, vault_path)
    if stored is None:
        raise ConfigError(
            f"another node wrote Vault {vault.config.mount}/{vault_path} but it holds no "
            f"{VAULT_KEY}",
            hint=f"add {VAULT_KEY} there (base64, 32 bytes), or set crypt.cluster_secret",
        )
    return stored


def generate_in_file(path: Path) -> Keyring:
    """Create the secret file unless another process on this home just did; return its secret."""
    create_private(path, encode_secret(generate_secret()).encode("ascii") + b"\n")
    stored = read_file(path)
    if stored is None:
        raise ConfigError(f"{path} vanished right after it was created")
    return stored
