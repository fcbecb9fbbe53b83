"""The shape of config.yaml at the boundary. LiteLLM's sections allow unknown keys (real LiteLLM
files carry many we do not use); Legion's own blocks forbid them so a typo is an error."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Tier = Literal["local", "direct", "fleet", "cloud", "frontier"]
Capability = Literal["chat", "tools", "vision", "reasoning", "embeddings", "streaming", "json"]
# LiteLLM's fallback lists: [{"gpt-4o": ["claude-sonnet"]}, ...]; a bare string target is accepted.
FallbackList = list[dict[str, list[str]]]


def _targets_as_lists(value: Any) -> Any:
    """`{"a": "b"}` means `{"a": ["b"]}`; anything else is left for validation to judge."""
    if isinstance(value, list):
        return [
            {k: [v] if isinstance(v, str) else v for k, v in item.items()}
            if isinstance(item, dict)
            else item
            for item in value
        ]
    return value


class _LiteLLM(BaseModel):
    model_config = ConfigDict(extra="allow")


class _Legion(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- Legion's keys ------------------------------------------------------------------------------


class LegionModel(_Legion):
    """Per model entry, as `legion:` beside litellm_params or inside model_info."""

    tier: Tier | None = None
    priority: int | None = None
    capabilities: list[Capability] | None = None
    context_window: int | None = Field(default=None, gt=0)
    never_cloud: bool | None = None
    input_cost_per_token: float | None = Field(default=None, ge=0)
    output_cost_per_token: float | None = Field(default=None, ge=0)


class EscalationBlock(_Legion):
    enabled: bool = True
    max_attempts: int = Field(default=3, ge=1)


class HealthBlock(_Legion):
    window_seconds: float | None = Field(default=None, gt=0)
    failure_threshold: float | None = Field(default=None, gt=0)
    cooldown_seconds: float | None = Field(default=None, ge=0)
    latency_penalty_ms: float | None = Field(default=None, gt=0)


class ServerBlock(_Legion):
    max_body_bytes: int = Field(default=4 * 1024 * 1024, gt=0)
    request_timeout: float | None = Field(default=None, gt=0)


class LedgerBlock(_Legion):
    url: str | None = None
    queue_size: int = Field(default=10000, gt=0)


class KeyBlock(_Legion):
    name: str
    key: str | None = None
    key_sha256: str | None = Field(default=None, pattern=r"^[0-9a-fA-F]{64}$")
    models: list[str] | None = None
    max_budget: float | None = Field(default=None, ge=0)
    curation: bool | None = None


class CurationBlock(_Legion):
    enabled: bool = False
    preserve_recent_turns: int = Field(default=2, ge=0)
    target_context_tokens: int = Field(default=40000, gt=0)
    archive_dir: str | None = None


class LegionBlock(_Legion):
    privacy: bool = False
    escalation: EscalationBlock = Field(default_factory=EscalationBlock)
    health: HealthBlock = Field(default_factory=HealthBlock)
    server: ServerBlock = Field(default_factory=ServerBlock)
    ledger: LedgerBlock = Field(default_factory=LedgerBlock)
    keys: list[KeyBlock] = Field(default_factory=list)
    curation: CurationBlock = Field(default_factory=CurationBlock)


# --- LiteLLM's keys -----------------------------------------------------------------------------


class LiteLLMParams(_LiteLLM):
    """Unknown keys here are not ignored: they are passed to litellm as deployment params."""

    model: str
    api_base: str | None = None
    api_key: str | None = None
    timeout: float | None = Field(default=None, gt=0)
    stream_timeout: float | None = Field(default=None, gt=0)
    rpm: int | None = None
    tpm: int | None = None
    max_tokens: int | None = None
    api_version: str | None = None
    extra_headers: dict[str, str] | None = None
    headers: dict[str, str] | None = None
    input_cost_per_token: float | None = Field(default=None, ge=0)
    output_cost_per_token: float | None = Field(default=None, ge=0)


class ModelInfo(_LiteLLM):
    id: str | None = None
    mode: str | None = None
    input_cost_per_token: float | None = Field(default=None, ge=0)
    output_cost_per_token: float | None = Field(default=None, ge=0)
    max_input_tokens: int | None = Field(default=None, gt=0)
    max_output_tokens: int | None = Field(default=None, gt=0)
    max_tokens: int | None = Field(default=None, gt=0)
    legion: LegionModel | None = None

    @field_validator("id", mode="before")
    @classmethod
    def _id_as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


class ModelEntry(_LiteLLM):
    model_name: str = Field(min_length=1)
    litellm_params: LiteLLMParams
    model_info: ModelInfo | None = None
    legion: LegionModel | None = None


class RouterSettings(_LiteLLM):
    routing_strategy: str | None = None
    num_retries: int | None = Field(default=None, ge=0)
    timeout: float | None = Field(default=None, gt=0)
    fallbacks: FallbackList | None = None
    context_window_fallbacks: FallbackList | None = None
    allowed_fails: int | None = Field(default=None, ge=0)
    cooldown_time: float | None = Field(default=None, ge=0)

    normalise_fallbacks = field_validator("fallbacks", "context_window_fallbacks", mode="before")(
        _targets_as_lists
    )


class LiteLLMSettings(_LiteLLM):
    drop_params: bool | None = None
    fallbacks: FallbackList | None = None
    context_window_fallbacks: FallbackList | None = None
    num_retries: int | None = Field(default=None, ge=0)
    request_timeout: float | None = Field(default=None, gt=0)

    normalise_fallbacks = field_validator("fallbacks", "context_window_fallbacks", mode="before")(
        _targets_as_lists
    )


class GeneralSettings(_LiteLLM):
    master_key: str | None = None


class ConfigFile(_LiteLLM):
    model_list: list[ModelEntry] = Field(min_length=1)
    router_settings: RouterSettings | None = None
    litellm_settings: LiteLLMSettings | None = None
    general_settings: GeneralSettings | None = None
    environment_variables: dict[str, str] | None = None
    legion: LegionBlock | None = None

    @field_validator("environment_variables", mode="before")
    @classmethod
    def _scalars_as_text(cls, value: Any) -> Any:
        """Scalars as text; an empty value (`REDIS_PASSWORD:`) is no value at all."""
        if isinstance(value, dict):
            return {k: scalar_text(v) for k, v in value.items() if v is not None}
        return value


def scalar_text(value: Any) -> Any:
    """YAML scalars as the text an environment variable would hold (`true`, `8080`)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value
