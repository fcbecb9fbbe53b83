"""Who is calling: the master key and virtual keys (kept only as SHA-256 digests), the models
each key may use, and what each has spent against its budget.

An exhausted budget answers 429 (RATE_LIMIT), as OpenAI does for an exhausted quota
(`insufficient_quota`), so clients and tools that already recognise that case handle it.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from legion.llm.config.gateway_config import VirtualKeySpec
from legion.llm.errors import ErrorKind, GatewayError

MASTER = "master"
ANONYMOUS = "anonymous"


def hash_key(plain: str) -> str:
    """The hex SHA-256 digest a config file stores instead of the key itself."""
    return hashlib.sha256(plain.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller; holds no secret, so it is safe to log."""

    name: str
    is_master: bool = False
    models: frozenset[str] | None = None
    max_budget: float | None = None
    # Context curation for this key's conversations: None follows the gateway's setting.
    curation: bool | None = None


ANONYMOUS_PRINCIPAL = Principal(ANONYMOUS)
MASTER_PRINCIPAL = Principal(MASTER, is_master=True)


class KeyStore:
    """Authenticates requests and keeps spend per key. With no master key and no virtual keys
    configured, authentication is off and every caller is `anonymous`."""

    def __init__(self, master_key: str | None, keys: Sequence[VirtualKeySpec]) -> None:
        self._master_digest = bytes.fromhex(hash_key(master_key)) if master_key else None
        self._keys: list[tuple[bytes, Principal]] = []
        names: set[str] = {MASTER, ANONYMOUS}
        digests: set[bytes] = set()
        if self._master_digest is not None:
            digests.add(self._master_digest)
        for spec in keys:
            digest = _digest(spec)
            if spec.name in names:
                raise ValueError(f"key name {spec.name!r} is used twice or is reserved")
            if digest in digests:
                raise ValueError(f"key {spec.name!r} has the same key as another key")
            names.add(spec.name)
            digests.add(digest)
            self._keys.append(
                (digest, Principal(spec.name, False, spec.models, spec.max_budget, spec.curation))
            )
        self._lock = threading.Lock()
        self._spend: dict[str, float] = {}

    def __repr__(self) -> str:
        master = "set" if self._master_digest is not None else "none"
        return f"KeyStore(master={master}, keys={len(self._keys)})"

    @property
    def enabled(self) -> bool:
        return self._master_digest is not None or bool(self._keys)

    # --- authentication -------------------------------------------------------------------------

    def authenticate(self, authorization: str | None, x_api_key: str | None) -> Principal:
        """The caller named by `Authorization: Bearer <key>` or `x-api-key: <key>`."""
        if not self.enabled:
            return ANONYMOUS_PRINCIPAL
        presented = [key for key in (_bearer(authorization), _strip(x_api_key)) if key]
        if not presented:
            raise GatewayError(
                ErrorKind.AUTHENTICATION,
                "missing API key: send Authorization: Bearer <key> or x-api-key",
            )
        for key in presented:
            principal = self._match(bytes.fromhex(hash_key(key)))
            if principal is not None:
                return principal
        raise GatewayError(ErrorKind.AUTHENTICATION, "invalid API key")

    def _match(self, digest: bytes) -> Principal | None:
        # Compare against every digest without stopping early: timing says nothing of which.
        found: Principal | None = None
        if self._master_digest is not None and hmac.compare_digest(digest, self._master_digest):
            found = MASTER_PRINCIPAL
        for candidate, principal in self._keys:
            if hmac.compare_digest(digest, candidate):
                found = principal
        return found

    def authorize_model(self, principal: Principal, model_name: str) -> None:
        """Refuse a model the key is not allowed to use."""
        if principal.models is None or model_name in principal.models:
            return
        allowed = ", ".join(sorted(principal.models)) or "none"
        raise GatewayError(
            ErrorKind.PERMISSION,
            f"key {principal.name!r} may not use model {model_name!r}; allowed: {allowed}",
            param="model",
        )

    # --- budgets --------------------------------------------------------------------------------

    def charge(self, principal: Principal, cost_usd: float) -> None:
        """Add what a request cost to the caller's spend."""
        if cost_usd <= 0:
            return
        with self._lock:
            self._spend[principal.name] = self._spend.get(principal.name, 0.0) + cost_usd

    def spent(self, principal: Principal) -> float:
        with self._lock:
            return self._spend.get(principal.name, 0.0)

    def check_budget(self, principal: Principal) -> None:
        """Refuse a caller whose spend has reached its budget. Requests already running when it
        is reached still finish, so spend may end slightly above the budget."""
        if principal.max_budget is None:
            return
        spent = self.spent(principal)
        if spent >= principal.max_budget:
            raise GatewayError(
                ErrorKind.RATE_LIMIT,
                f"budget of ${principal.max_budget:.2f} exhausted for key {principal.name!r} "
                f"(spent ${spent:.2f}); raise max_budget in the config to continue",
                details={
                    "code": "insufficient_quota",
                    "max_budget": principal.max_budget,
                    "spend": spent,
                },
            )

    def load_spend(self, spend_by_key: Mapping[str, float]) -> None:
        """Start spend where the ledger left it (`legion.llm.ledger.summary.spend_by_key`)."""
        with self._lock:
            self._spend = {name: float(total) for name, total in spend_by_key.items()}


def _digest(spec: VirtualKeySpec) -> bytes:
    text = spec.key_sha256.strip().lower()
    if len(text) != 64:
        raise ValueError(f"key {spec.name!r}: key_sha256 must be 64 hex digits")
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise ValueError(f"key {spec.name!r}: key_sha256 must be 64 hex digits") from None


def _strip(value: str | None) -> str | None:
    return value.strip() if value else None


def _bearer(authorization: str | None) -> str | None:
    """The token of `Bearer <token>`; a bare value is taken as the token itself."""
    value = _strip(authorization)
    if not value:
        return None
    scheme, _, token = value.partition(" ")
    if scheme.lower() == "bearer":
        return token.strip() or None
    return value
