"""Settings values that point elsewhere: `env://NAME`, `file://path`, `vault://path#key`.

A list whose first item is a reference is a fallback chain: the first item that resolves wins,
and a plain value in the chain is the final default. Resolved values are treated as secrets.
`vault://path#key` reads `key` of the KV v2 secret at `path` under `vault.mount`, once per load.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from legion.core.errors import ConfigError

if TYPE_CHECKING:
    from legion.core.settings.vault import VaultClient

SCHEMES = ("env://", "file://", "vault://")


class Unresolved(Exception):
    """A reference whose target is absent; a fallback chain moves on to its next item."""


class SettingError(ConfigError):
    """A reference error whose message already starts with the setting it belongs to."""


class VaultRefs:
    """Reads `vault://` references for one settings load: one client, each path read once."""

    def __init__(self, connect: Callable[[], VaultClient]) -> None:
        self._connect = connect
        self._client: VaultClient | None = None
        self._read: dict[str, dict[str, Any] | None] = {}
        self._missing: dict[str, str] = {}

    def get(self, ref: str) -> Any:
        from legion.core.settings.vault import VaultFailure

        path, key = split_vault_ref(ref)
        if self._client is None:
            self._client = self._connect()
        if path not in self._read:
            try:
                self._read[path] = self._client.read(path)
            except VaultFailure as exc:
                if exc.kind != "missing":
                    raise ConfigError(exc.message, hint=exc.hint) from None
                self._missing[path] = exc.message
                self._read[path] = None
        values = self._read[path]
        if values is None:
            raise Unresolved(self._missing[path])
        if key not in values:
            keys = ", ".join(sorted(values)) or "none"
            where = f"{self._client.config.mount}/{path}"
            raise Unresolved(f"the Vault secret at {where} has no key {key!r} (its keys: {keys})")
        return values[key]


def split_vault_ref(ref: str) -> tuple[str, str]:
    body = ref[len("vault://") :]
    path, sep, key = body.partition("#")
    if not sep or not key or not path.strip("/"):
        raise ConfigError(
            "a Vault reference needs a path and a key",
            hint="write vault://<path>#<key>, e.g. vault://legion/db#password",
        )
    return path.strip("/"), key


def is_reference(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(SCHEMES)


def resolve_one(ref: str, env: Mapping[str, str], vault: VaultRefs | None = None) -> Any:
    if ref.startswith("env://"):
        name = ref[len("env://") :]
        if name not in env:
            raise Unresolved(f"environment variable {name} is not set")
        return env[name]
    if ref.startswith("file://"):
        path = Path(ref[len("file://") :]).expanduser()
        try:
            return path.read_text(encoding="utf-8").strip()
        except FileNotFoundError as exc:
            raise Unresolved(f"file {path} does not exist") from exc
        except OSError as exc:
            raise ConfigError(f"cannot read {path} ({exc.strerror})") from exc
    if vault is None:
        raise ConfigError(
            "the vault settings cannot themselves come from Vault",
            hint="give vault.address and vault.token directly or as env:// or file://",
        )
    return vault.get(ref)


def vault_connector(raw_vault: Any, env: Mapping[str, str]) -> Callable[[], VaultClient]:
    """Builds the Vault client from the `vault` section on first use, resolving its own refs."""

    def connect() -> VaultClient:
        from pydantic import ValidationError

        from legion.core.settings.model import VaultSettings
        from legion.core.settings.vault import VaultClient, VaultConfig

        section, _ = Resolver(env, None).tree(raw_vault or {}, "vault")
        try:
            config = VaultConfig.from_settings(VaultSettings.model_validate(section))
        except ValidationError as exc:
            raise ConfigError(f"invalid vault settings: {exc.errors()[0]['msg']}") from None
        if config is None:
            raise ConfigError(
                "this needs Vault but vault.address is not set",
                hint="set vault.address (and vault.token, e.g. env://VAULT_TOKEN)",
            )
        return VaultClient(config)

    return connect


class Resolver:
    """Walks a settings tree replacing references; `vault` is None where Vault is unavailable."""

    def __init__(self, env: Mapping[str, str], vault: VaultRefs | None) -> None:
        self.env = env
        self.vault = vault

    def tree(self, data: Any, path: str = "") -> tuple[Any, set[str]]:
        secrets: set[str] = set()
        if isinstance(data, dict):
            out: dict[str, Any] = {}
            for key, value in data.items():
                child = f"{path}.{key}" if path else str(key)
                out[key], found = self.tree(value, child)
                secrets |= found
            return out, secrets
        if is_reference(data):
            try:
                return self.one(data, path), {path}
            except Unresolved as exc:
                raise SettingError(f"{path}: {data} cannot be resolved: {exc}") from exc
        if isinstance(data, list) and data and is_reference(data[0]):
            return self.chain(data, path), {path}
        return data, secrets

    def one(self, ref: str, path: str) -> Any:
        try:
            return resolve_one(ref, self.env, self.vault)
        except SettingError:
            raise
        except ConfigError as exc:
            raise SettingError(f"{path}: {ref}: {exc.message}", hint=exc.hint) from None

    def chain(self, chain: list[Any], path: str) -> Any:
        reasons = []
        for item in chain:
            if not is_reference(item):
                return item
            try:
                return self.one(item, path)
            except Unresolved as exc:
                reasons.append(f"{item}: {exc}")
        raise SettingError(f"{path}: no item of the fallback chain resolves ({'; '.join(reasons)})")


def resolve_tree(
    data: Any, env: Mapping[str, str] | None = None, path: str = ""
) -> tuple[Any, set[str]]:
    """Resolve every reference in `data`; returns the new tree and the dotted paths resolved.

    At the top of a settings tree, `vault://` references use the tree's own `vault` section.
    """
    env = os.environ if env is None else env
    raw_vault = data.get("vault") if isinstance(data, dict) and not path else None
    return Resolver(env, VaultRefs(vault_connector(raw_vault, env))).tree(data, path)


def resolve_chain(chain: list[Any], env: Mapping[str, str], path: str) -> Any:
    """A fallback chain on its own (env:// and file:// only): the first item that resolves."""
    return Resolver(env, None).chain(chain, path)
