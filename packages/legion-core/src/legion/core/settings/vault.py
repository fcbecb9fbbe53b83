"""Vault KV v2 through hvac: reads for `vault://` references, writes for the cluster secret.

Every failure becomes a `VaultFailure` that names the address, the path and Vault's answer, so a
user can fix it; the token never appears in a message or repr. hvac is imported on first use.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from legion.core.errors import LegionError
from legion.core.settings.redact import redact_url

if TYPE_CHECKING:
    from legion.core.settings.model import VaultSettings

FailureKind = Literal["missing", "forbidden", "unreachable", "conflict", "invalid", "error"]


class VaultFailure(LegionError):
    """Vault could not serve a read or write; `kind` says whether a retry or a fix is needed."""

    code = "vault_error"

    def __init__(
        self,
        message: str,
        *,
        kind: FailureKind,
        status: int | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.kind = kind
        self.status = status


@dataclass(frozen=True, repr=False)
class VaultConfig:
    """Where Vault is and how to authenticate; built from the `vault` settings section."""

    address: str
    token: str | None = None
    mount: str = "secret"
    namespace: str | None = None
    timeout: float = 5.0

    def __repr__(self) -> str:
        token = "set" if self.token else "unset"
        return (
            f"VaultConfig(address={redact_url(self.address)!r}, mount={self.mount!r}, "
            f"namespace={self.namespace!r}, token={token})"
        )

    @classmethod
    def from_settings(cls, vault: VaultSettings) -> VaultConfig | None:
        """None when `vault.address` is unset: Vault is not configured."""
        if not vault.address:
            return None
        token = vault.token.get_secret_value() if vault.token is not None else None
        return cls(
            address=vault.address,
            token=token,
            mount=vault.mount,
            namespace=vault.namespace,
            timeout=vault.timeout,
        )


def clean_path(path: str) -> str:
    cleaned = path.strip("/")
    if not cleaned:
        raise VaultFailure("empty Vault secret path", kind="invalid")
    return cleaned


class VaultClient:
    """One hvac client for one settings load or one node; KV v2 reads and writes only."""

    def __init__(self, config: VaultConfig) -> None:
        self.config = config
        self._hvac: Any = None

    def __repr__(self) -> str:
        return f"VaultClient({self.config!r})"

    @property
    def where(self) -> str:
        return redact_url(self.config.address)

    def _client(self) -> Any:
        if self._hvac is None:
            import hvac  # type: ignore[import-untyped]  # hvac ships no type information

            self._hvac = hvac.Client(
                url=self.config.address,
                token=self.config.token,
                namespace=self.config.namespace,
                timeout=self.config.timeout,
            )
        return self._hvac

    def read(self, path: str) -> dict[str, Any]:
        """The key/value pairs of the latest version at `path` under the configured mount."""
        path = clean_path(path)
        kv = self._client().secrets.kv.v2
        response = self._call(
            "read",
            path,
            lambda: kv.read_secret_version(
                path=path, mount_point=self.config.mount, raise_on_deleted_version=True
            ),
        )
        data = (response or {}).get("data") or {}
        values = data.get("data")
        if not isinstance(values, dict):
            raise VaultFailure(
                f"Vault at {self.where} returned no key/value data for "
                f"{self.config.mount}/{path} (is the mount a KV version 2 engine?)",
                kind="invalid",
                hint=f"check vault.mount ({self.config.mount!r}) names a KV v2 secrets engine",
            )
        return values

    def write(self, path: str, values: Mapping[str, Any], *, cas: int | None = None) -> int:
        """Write a new version; `cas=0` writes only if nothing is there yet. Returns the version."""
        path = clean_path(path)
        kv = self._client().secrets.kv.v2
        response = self._call(
            "write",
            path,
            lambda: kv.create_or_update_secret(
                path=path, secret=dict(values), cas=cas, mount_point=self.config.mount
            ),
        )
        version = ((response or {}).get("data") or {}).get("version")
        return int(version) if isinstance(version, int) else 0

    def _call(self, action: str, path: str, call: Any) -> Any:
        import hvac.exceptions  # type: ignore[import-untyped]
        import requests

        target = f"{self.config.mount}/{path}"
        try:
            return call()
        except hvac.exceptions.InvalidPath as exc:
            raise VaultFailure(
                f"Vault at {self.where} has no secret at {target} (404{answer(exc)})",
                kind="missing",
                status=404,
            ) from None
        except (hvac.exceptions.Forbidden, hvac.exceptions.Unauthorized) as exc:
            status = 403 if isinstance(exc, hvac.exceptions.Forbidden) else 401
            raise VaultFailure(
                f"Vault at {self.where} refused to {action} {target} ({status}{answer(exc)})",
                kind="forbidden",
                status=status,
                hint=(
                    f"check vault.token and that its policy allows {action} on "
                    f"{self.config.mount}/data/{path}"
                ),
            ) from None
        except hvac.exceptions.InvalidRequest as exc:
            if any("check-and-set" in str(e) for e in exc.errors or ()):
                raise VaultFailure(
                    f"{target} in Vault at {self.where} was written by someone else first "
                    f"(400{answer(exc)})",
                    kind="conflict",
                    status=400,
                ) from None
            raise VaultFailure(
                f"Vault at {self.where} rejected the {action} of {target} (400{answer(exc)})",
                kind="error",
                status=400,
            ) from None
        except hvac.exceptions.VaultError as exc:
            raise VaultFailure(
                f"Vault at {self.where} failed to {action} {target} "
                f"({type(exc).__name__}{answer(exc)})",
                kind="error",
                hint="check that Vault is unsealed and healthy",
            ) from None
        except requests.RequestException as exc:
            raise VaultFailure(
                f"Vault at {self.where} is unreachable ({type(exc).__name__})",
                kind="unreachable",
                hint="check vault.address and that Vault is running and reachable",
            ) from None


def answer(exc: Exception) -> str:
    """Vault's own error strings, e.g. `: permission denied`; empty when it gave none."""
    errors = getattr(exc, "errors", None)
    if isinstance(errors, str):
        errors = [errors]
    if not errors:
        return ""
    return ": " + "; ".join(str(e) for e in errors)
