"""The typed shape of Legion's settings: each section is a pydantic model, unknown keys are errors.

Later issues add sections (transport, data, cache, ...); extensions keep theirs under `lex.<name>`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, SecretStr, model_validator


class Section(BaseModel):
    """A settings section: typo'd keys fail validation instead of being silently ignored."""

    model_config = ConfigDict(extra="forbid", validate_default=True)


class LogSettings(Section):
    level: Literal["TRACE", "DEBUG", "INFO", "SUCCESS", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    format: Literal["human", "json"] = "human"
    file: Path | None = None


class ApiAuthSettings(Section):
    """Who may call the REST API: API keys (`X-API-Key`) or bearer tokens (HS256 under the
    cluster secret; RS256/EdDSA under `public_keys`)."""

    class PublicKey(Section):
        """A token verification key; tokens naming its `kid` are checked against it alone."""

        key: str = Field(min_length=1)  # a PEM file's path, or the PEM text itself
        kid: str | None = Field(default=None, pattern=r"^[A-Za-z0-9._:-]{1,100}$")

    loopback_open: bool = True  # bound to a loopback address: no credentials needed
    clock_skew_seconds: int = Field(default=30, ge=0, le=300)  # tolerated on exp/iat of tokens
    max_token_ttl: int = Field(default=30 * 86400, ge=1)  # `legion auth token --ttl` refuses more
    issuer: str = Field(default="legion", min_length=1)  # `iss` of minted tokens, checked
    # RSA (RS256) or Ed25519 (EdDSA) public keys: PEM paths or text, or {key = ..., kid = ...}
    public_keys: list[str | PublicKey] = []


class ApiRateLimitSettings(Section):
    """Sliding-window limits per client IP, per principal and per tenant; the strictest wins."""

    enabled: bool = True
    per_ip: int = Field(default=600, ge=1)
    per_principal: int = Field(default=1200, ge=1)
    per_tenant: int = Field(default=6000, ge=1)
    window_seconds: float = Field(default=60.0, gt=0)


class ApiSettings(Section):
    host: str = "127.0.0.1"
    port: int = Field(default=4567, ge=1, le=65535)
    max_body_bytes: int = Field(default=1 << 20, ge=1024)  # larger request bodies get a 413
    auth: ApiAuthSettings = ApiAuthSettings()
    rate_limit: ApiRateLimitSettings = ApiRateLimitSettings()


class RbacSettings(Section):
    """Role-based access control over the API and MCP tools (legion-rbac)."""

    enforce: bool = True  # false: audit mode, refusals are logged but let through
    policies: list[str] = []  # policy files or directories (*.hcl, *.json, *.yaml)


class ExtensionsSettings(Section):
    disabled: list[str] = []


class RoleSettings(Section):
    profile: Literal["core", "service", "dev", "custom"] | None = None
    extensions: list[str] = []


class VaultSettings(Section):
    """Vault for `vault://path#key` references and the cluster secret; off without an address."""

    address: str | None = None
    token: SecretStr | None = None  # may itself be an env:// or file:// reference
    mount: str = Field(default="secret", min_length=1)  # a KV version 2 secrets engine
    namespace: str | None = None  # Vault Enterprise / HCP namespace
    timeout: float = Field(default=5.0, gt=0)


class CryptSettings(Section):
    """Message encryption in full mode: the cluster secret, where it is kept and which nodes
    may receive it from another node."""

    cluster_secret: SecretStr | None = None  # 32 bytes, base64 or hex; may be a reference
    previous_cluster_secret: SecretStr | None = None  # still opens messages during a rotation
    vault_path: str = Field(default="legion/cluster", min_length=1)  # KV v2 path of the secret
    encrypt: bool = True  # seal every transport message with the cluster secret
    peer_timeout: float = Field(default=5.0, gt=0)  # wait for a node to send the secret
    # No secret in settings, Vault or the file: ask the nodes on the broker before generating one.
    ask_peers: bool = True
    # Node ids (`legion node id`) this node sends the secret to and accepts it from.
    trusted_nodes: list[Annotated[str, Field(pattern=r"^[a-z2-7]{26}$")]] = []
    # Who gets the secret from this node: the trusted nodes, any node able to publish on the
    # broker (then this node also accepts the secret from any node), or nobody.
    share_secret: Literal["trusted", "any", "never"] = "trusted"


class LlmSettings(Section):
    """An OpenAI-compatible chat-completions endpoint (e.g. `legion-llm serve`): the LLM tier of
    `legion do` and the `llm` component of extensions."""

    enabled: bool = False  # true by itself when `url` is set (set false to keep the url unused)
    url: str | None = None  # base URL: http://host:port, .../v1 or the full /chat/completions
    model: str | None = Field(default=None, min_length=1)  # the model name the endpoint serves
    api_key: SecretStr | None = None  # sent as a bearer token; may be an env:// or vault:// ref
    timeout: float = Field(default=20.0, gt=0)  # seconds for one request

    @model_validator(mode="after")
    def _enabled_by_url(self) -> LlmSettings:
        if self.url and "enabled" not in self.model_fields_set:
            self.enabled = True
        return self


class DataSettings(Section):
    url: str | None = None  # None: SQLite at $LEGION_HOME/legion.db
    echo: bool = False


class CacheSettings(Section):
    url: str | None = None  # redis://...; None: in-process cache, locks and rate limits
    prefix: str = Field(default="legion", min_length=1)  # one per cluster sharing a Redis


class SpoolSettings(Section):
    """The local outbox full mode publishes to while the broker is unreachable."""

    dir: Path | None = None  # None: $LEGION_HOME/spool
    max_file_bytes: int = Field(default=16 << 20, ge=4096)  # a segment rotates past this
    max_total_bytes: int = Field(default=1 << 30, ge=4096)  # full: appends raise SpoolFull
    fsync: Literal["always", "batch", "never"] = "always"
    fsync_batch: int = Field(default=100, ge=1)  # records per fsync under "batch"


class TransportSettings(Section):
    """Where tasks travel: `memory://` (lite, in-process) or `amqp://` RabbitMQ (full mode)."""

    url: str = Field(default="memory://", min_length=1)  # may be a reference (it holds a password)
    prefetch: int = Field(default=64, ge=1, le=65535)  # unacknowledged messages per consumer
    confirm: bool = True  # publisher confirms: a publish returns once the broker has it
    connect_timeout: float = Field(default=5.0, gt=0)
    heartbeat: int = Field(default=60, ge=0)  # AMQP heartbeat seconds (0: off)
    queue_prefix: str = Field(default="lex", pattern=r"^[A-Za-z0-9_-]+$")
    events: bool = True  # carry task and node events to every process (topic `legion.events`)


class McpAuthSettings(Section):
    """Who may use the MCP server over HTTP: loopback without a token, or a listed token."""

    loopback_open: bool = True  # bound to a loopback address: no token needed
    # SHA-256 hex digests of the accepted bearer tokens (`legion mcp token` mints one).
    tokens: list[Annotated[str, Field(pattern=r"^(sha256:)?[0-9a-f]{64}$")]] = []


class McpSettings(Section):
    """The MCP server (`legion mcp`, or the daemon's with `mcp.serve`): where HTTP binds and how
    long a tool call waits."""

    host: str = "127.0.0.1"
    port: int = Field(default=9393, ge=1, le=65535)
    auth: McpAuthSettings = McpAuthSettings()
    wait_seconds: float = Field(default=30.0, gt=0)  # then a tool returns the task id
    progress_interval: float = Field(default=1.0, gt=0)  # seconds between progress notes
    serve: bool = False  # `legionio start` also serves MCP over HTTP on host:port (`--mcp`)
    allowed_origins: list[str] = []  # browser origins accepted besides localhost


class TelemetrySettings(Section):
    """Traces (a span per task, one trace per master task) and Prometheus metrics."""

    traces: bool = False
    exporter: Literal["console", "otlp"] = "console"  # otlp needs its exporter package
    service_name: str = Field(default="legion", min_length=1)
    metrics: bool | None = None  # None: on in full mode (a broker transport), off in lite


class EngineSettings(Section):
    workers: int = Field(default=4, ge=1, le=256)
    max_depth: int = Field(default=32, ge=1)
    max_payload_bytes: int = Field(default=1 << 20, ge=1024)
    retries: int = Field(default=0, ge=0)
    retry_backoff: float = Field(default=1.0, gt=0)
    retry_backoff_max: float = Field(default=30.0, gt=0)
    time_limit: float | None = Field(default=None, gt=0)
    flush_interval: float = Field(default=0.005, gt=0, le=5)


class Settings(Section):
    """All of Legion's settings after every layer is merged and every reference resolved."""

    mode: Literal["lite", "full"] = "lite"
    home: Path
    log: LogSettings = LogSettings()
    api: ApiSettings = ApiSettings()
    extensions: ExtensionsSettings = ExtensionsSettings()
    role: RoleSettings = RoleSettings()
    vault: VaultSettings = VaultSettings()
    crypt: CryptSettings = CryptSettings()
    llm: LlmSettings = LlmSettings()
    data: DataSettings = DataSettings()
    engine: EngineSettings = EngineSettings()
    transport: TransportSettings = TransportSettings()
    telemetry: TelemetrySettings = TelemetrySettings()
    spool: SpoolSettings = SpoolSettings()
    cache: CacheSettings = CacheSettings()
    mcp: McpSettings = McpSettings()
    rbac: RbacSettings = RbacSettings()
    lex: dict[str, dict[str, Any]] = {}

    _sources: dict[str, str] = PrivateAttr(default_factory=dict)
    _secret_paths: frozenset[str] = PrivateAttr(default_factory=frozenset)
    _files: tuple[Path, ...] = PrivateAttr(default=())

    @property
    def sources(self) -> dict[str, str]:
        """Where each dotted key's value came from (a file, an env var, a CLI flag, default)."""
        return dict(self._sources)

    @property
    def files(self) -> tuple[Path, ...]:
        """The settings files that were read, lowest precedence first."""
        return self._files

    def source_of(self, dotted: str) -> str:
        return self._sources.get(dotted, "default")

    def lex_settings(self, name: str, defaults: dict[str, Any] | None = None) -> dict[str, Any]:
        """An extension's settings: declared defaults overlaid by `lex.<name>` from the layers."""
        from legion.core.settings.merge import deep_merge

        merged: dict[str, Any] = deep_merge(dict(defaults or {}), self.lex.get(name, {}))
        return merged

    def redacted(self) -> dict[str, Any]:
        """A JSON-ready dump with every secret replaced; safe to print or serve."""
        from legion.core.settings.redact import redact

        shown: dict[str, Any] = redact(self.model_dump(mode="json"), self._secret_paths)
        return shown
