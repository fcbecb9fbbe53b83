"""Load policy from Vault's KV v2 engine; hvac is imported only here, only when used.

A secret holds either a document (roles, policies, assignments, enforce; nested values or
JSON text), a single role (name, rules), or `policy` with HCL text for a role named after
the secret. A path ending in `/` loads every secret directly under it.
"""

from __future__ import annotations

import json
from typing import Any

from legion.rbac.errors import MissingDependencyError, PolicyError
from legion.rbac.hcl import parse_hcl_policy
from legion.rbac.model import PolicySet
from legion.rbac.schema import DOCUMENT_KEYS, parse_document

INSTALL_HINT = "loading policy from Vault needs hvac: pip install 'legion-rbac[vault]'"


def import_hvac() -> Any:
    """hvac, or a clear error naming the extra that installs it."""
    try:
        import hvac  # type: ignore[import-untyped]  # hvac ships no type information
    except ImportError:
        raise MissingDependencyError(INSTALL_HINT) from None
    return hvac


def vault_client(url: str | None = None, token: str | None = None) -> Any:
    """An hvac client; with no arguments hvac reads VAULT_ADDR and VAULT_TOKEN."""
    hvac = import_hvac()
    return hvac.Client(url=url, token=token)


def _decode(data: dict[str, Any]) -> dict[str, Any]:
    """KV values are often stored as text; JSON text for nested keys is decoded."""
    decoded = dict(data)
    for key in ("roles", "rules", "assignments", "policies"):
        value = decoded.get(key)
        if isinstance(value, str):
            try:
                decoded[key] = json.loads(value)
            except json.JSONDecodeError as exc:
                raise PolicyError(f"{key} is text but not JSON ({exc.msg})") from None
    return decoded


def _parse_secret(data: dict[str, Any], name: str, source: str) -> PolicySet:
    if set(data) == {"policy"} and isinstance(data["policy"], str):
        result = PolicySet()
        result.add_role(parse_hcl_policy(data["policy"], role=name, source=source))
        return result
    try:
        decoded = _decode(data)
    except PolicyError as exc:
        raise PolicyError(exc.problem, source=source) from None
    if not decoded:
        return PolicySet()
    if not any(k in decoded for k in (*DOCUMENT_KEYS, "name", "rules")):
        raise PolicyError(
            "the secret holds none of roles, policies, assignments, enforce, name/rules or "
            "policy; store a policy document there",
            source=source,
        )
    return parse_document(decoded, source=source)


def _read(client: Any, hvac: Any, mount: str, path: str) -> dict[str, Any]:
    source = f"vault:{mount}/{path}"
    try:
        response = client.secrets.kv.v2.read_secret_version(
            path=path, mount_point=mount, raise_on_deleted_version=True
        )
    except hvac.exceptions.InvalidPath:
        raise PolicyError(
            "no secret there; check the mount and path (KV v2)", source=source
        ) from None
    except hvac.exceptions.Forbidden:
        raise PolicyError(
            "permission denied; the token needs read on this path", source=source
        ) from None
    except hvac.exceptions.VaultError as exc:
        raise PolicyError(f"Vault refused the read: {exc}", source=source) from None
    except Exception as exc:  # requests' connection errors: hvac does not wrap them
        raise PolicyError(f"cannot reach Vault: {type(exc).__name__}", source=source) from None
    data = ((response or {}).get("data") or {}).get("data") or {}
    if not isinstance(data, dict):
        raise PolicyError("the secret's data is not a mapping", source=source)
    return data


def _list(client: Any, hvac: Any, mount: str, path: str) -> list[str]:
    source = f"vault:{mount}/{path}"
    try:
        response = client.secrets.kv.v2.list_secrets(path=path, mount_point=mount)
    except hvac.exceptions.InvalidPath:
        raise PolicyError("nothing listed there; check the mount and path", source=source) from None
    except hvac.exceptions.VaultError as exc:
        raise PolicyError(f"Vault refused the list: {exc}", source=source) from None
    except Exception as exc:
        raise PolicyError(f"cannot reach Vault: {type(exc).__name__}", source=source) from None
    keys = ((response or {}).get("data") or {}).get("keys") or []
    return sorted(str(k) for k in keys if not str(k).endswith("/"))


def load_from_vault(client: Any | None, mount: str, path: str) -> PolicySet:
    """Policy from KV v2 at `mount`/`path` (a secret, or with a trailing `/` every secret in it)."""
    hvac = import_hvac()
    if client is None:
        client = hvac.Client()
    mount = mount.strip("/")
    if path.endswith("/"):
        folder = path.strip("/")
        sets = []
        for key in _list(client, hvac, mount, folder):
            child = f"{folder}/{key}" if folder else key
            sets.append(
                _parse_secret(_read(client, hvac, mount, child), key, f"vault:{mount}/{child}")
            )
        return PolicySet.combine(sets)
    path = path.strip("/")
    name = path.rsplit("/", 1)[-1]
    return _parse_secret(_read(client, hvac, mount, path), name, f"vault:{mount}/{path}")
