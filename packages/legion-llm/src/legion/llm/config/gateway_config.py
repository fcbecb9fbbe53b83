"""The resolved configuration the gateway runs on: plain dataclasses, secrets already looked up
and kept out of reprs, every name checked against the model list."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from legion.llm.deployment import Deployment

DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024
DEFAULT_REQUEST_TIMEOUT = 600.0


@dataclass(frozen=True, slots=True)
class EscalationSettings:
    enabled: bool = True
    max_attempts: int = 3


@dataclass(frozen=True, slots=True)
class HealthSettings:
    window_seconds: float = 300.0
    failure_threshold: float = 3.0
    cooldown_seconds: float = 60.0
    latency_penalty_ms: float = 5000.0


@dataclass(frozen=True, slots=True)
class ServerSettings:
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT


@dataclass(frozen=True, slots=True)
class LedgerSettings:
    """`url` is an SQLAlchemy URL; it may carry a database password, hence no repr."""

    url: str = field(repr=False)
    queue_size: int = 10000


@dataclass(frozen=True, slots=True)
class CurationSettings:
    enabled: bool = False
    preserve_recent_turns: int = 2
    target_context_tokens: int = 40000
    archive_dir: Path | None = None


@dataclass(frozen=True, slots=True)
class VirtualKeySpec:
    """A client key: only its SHA-256 digest is kept; `models` None allows every model."""

    name: str
    key_sha256: str
    models: frozenset[str] | None = None
    max_budget: float | None = None
    # Context curation for this key's conversations: None follows legion.curation.enabled.
    curation: bool | None = None

    def allows(self, model_name: str) -> bool:
        return self.models is None or model_name in self.models


@dataclass(slots=True)
class GatewayConfig:
    path: Path
    deployments: list[Deployment]
    by_name: dict[str, list[Deployment]]
    fallbacks: dict[str, list[str]] = field(default_factory=dict)
    context_window_fallbacks: dict[str, list[str]] = field(default_factory=dict)
    master_key: str | None = field(default=None, repr=False)
    keys: list[VirtualKeySpec] = field(default_factory=list)
    privacy: bool = False
    escalation: EscalationSettings = field(default_factory=EscalationSettings)
    health: HealthSettings = field(default_factory=HealthSettings)
    server: ServerSettings = field(default_factory=ServerSettings)
    ledger: LedgerSettings = field(default_factory=lambda: LedgerSettings(url="sqlite://"))
    curation: CurationSettings = field(default_factory=CurationSettings)
    # LiteLLM settings the gateway honours as they are.
    drop_params: bool = False
    num_retries: int | None = None
    routing_strategy: str | None = None

    def public_models(self) -> list[str]:
        """The model names clients may ask for, in config order."""
        return list(self.by_name)

    def key_by_sha256(self, digest: str) -> VirtualKeySpec | None:
        for spec in self.keys:
            if spec.key_sha256 == digest:
                return spec
        return None
