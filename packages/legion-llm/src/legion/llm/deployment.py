"""A deployment: one model on one provider instance, as the router sees it after config load."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Tier order: cheaper and closer first.
TIER_RANK: dict[str, int] = {"local": 0, "direct": 1, "fleet": 2, "cloud": 3, "frontier": 4}
CLOUD_TIERS = frozenset({"cloud", "frontier"})


@dataclass(slots=True)
class Deployment:
    """One `model_list` entry, resolved.

    `model_name` is the public alias clients ask for; `provider` is the adapter family
    (`openai` for any OpenAI-compatible server, `anthropic`, `litellm` for the long tail);
    `model` is the upstream model id; `instance` names the provider instance the health tracker
    keys on (api_base + provider by default).
    """

    id: str
    model_name: str
    provider: str
    model: str
    api_base: str | None = None
    api_key: str | None = field(default=None, repr=False)
    timeout: float = 600.0
    stream_timeout: float | None = None
    tier: str = "cloud"
    priority: int = 0
    capabilities: frozenset[str] = frozenset()
    input_cost_per_token: float | None = None
    output_cost_per_token: float | None = None
    context_window: int | None = None
    max_output_tokens: int | None = None
    never_cloud: bool = False
    # Anything else from litellm_params (api_version, aws_region_name, ...), passed to litellm.
    params: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def instance(self) -> str:
        return f"{self.provider}:{self.api_base or 'default'}"

    @property
    def tier_rank(self) -> int:
        return TIER_RANK.get(self.tier, TIER_RANK["cloud"])

    @property
    def is_cloud(self) -> bool:
        return self.tier in CLOUD_TIERS
