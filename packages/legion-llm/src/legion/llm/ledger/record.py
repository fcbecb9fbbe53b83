"""One ledger row: what a request (attempt 0) or one of its attempts (1..n) did and cost.

The request row carries the request's totals (tokens and cost over all its attempts, the final
provider and status); each attempt row carries that attempt's own numbers, so costs per provider
stay right when a request fails over from one provider to another.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any, Literal

from legion.llm.canonical import Usage
from legion.llm.deployment import Deployment
from legion.llm.ids import new_id

RecordKind = Literal["request", "attempt"]
RequestType = Literal["chat", "completion", "responses", "embeddings", "messages", "count_tokens"]
Dialect = Literal["openai", "anthropic"]
Status = Literal["ok", "error", "failover"]


def _now() -> datetime:
    return datetime.now(UTC)


def _new_id() -> str:
    return new_id()


@dataclass(slots=True, kw_only=True)
class LedgerRecord:
    """A row of the ledger. `cost_usd` stays None when the deployment has no prices: unknown
    cost is not zero cost."""

    record_id: str = field(default_factory=_new_id)
    request_id: str
    attempt: int = 0
    kind: RecordKind = "request"
    recorded_at: datetime = field(default_factory=_now)
    caller: str = "anonymous"
    conversation_id: str | None = None
    request_type: RequestType = "chat"
    dialect: Dialect = "openai"
    model_name: str
    tier: str | None = None
    provider: str | None = None
    model: str | None = None
    deployment_id: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    thinking_tokens: int = 0
    cost_usd: float | None = None
    latency_ms: float = 0.0
    ttft_ms: float | None = None
    route_reason: str | None = None
    status: Status = "ok"
    error_kind: str | None = None
    error_message: str | None = None
    stream: bool = False
    failovers: int = 0

    def add_usage(self, usage: Usage) -> None:
        """Add a response's token counts (an attempt's own, or one attempt's into the total)."""
        self.input_tokens += usage.input_tokens
        self.output_tokens += usage.output_tokens
        self.thinking_tokens += usage.thinking_tokens

    def set_deployment(self, deployment: Deployment) -> None:
        """Name the deployment that served (or failed) this request or attempt."""
        self.deployment_id = deployment.id
        self.provider = deployment.provider
        self.model = deployment.model
        self.tier = deployment.tier

    def as_row(self) -> dict[str, Any]:
        """The column values; `recorded_at` as naive UTC, the form both databases store."""
        row = {name: getattr(self, name) for name in FIELDS}
        stamp = self.recorded_at
        if stamp.tzinfo is not None:
            stamp = stamp.astimezone(UTC)
        row["recorded_at"] = stamp.replace(tzinfo=None)
        return row

    def as_sqlite_tuple(self) -> tuple[Any, ...]:
        """The column values in `FIELDS` order, the time as the text SQLAlchemy stores in SQLite
        (naive UTC), for the writer's direct executemany."""
        stamp = self.recorded_at
        if stamp.tzinfo is not None:
            stamp = stamp.astimezone(UTC)
        text = stamp.strftime("%Y-%m-%d %H:%M:%S.%f")
        return tuple(text if name == "recorded_at" else getattr(self, name) for name in FIELDS)


def usage_cost(deployment: Deployment, usage: Usage) -> float | None:
    """The price of `usage` on `deployment`, or None when a price it needs is unknown.

    Thinking tokens are billed as output: providers count them inside `output_tokens`.
    """
    cost = 0.0
    for tokens, price in (
        (usage.input_tokens, deployment.input_cost_per_token),
        (usage.output_tokens, deployment.output_cost_per_token),
    ):
        if tokens:
            if price is None:
                return None
            cost += tokens * price
    return cost


FIELDS = tuple(f.name for f in fields(LedgerRecord))
