"""Prometheus metrics for one gateway, named for the events that move them.

Each gateway owns its registry, so several gateways in one process (tests, embedding) never
collide; label children are cached so an observation costs a dict lookup, not label parsing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Generic, Literal, TypeVar

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.metrics_core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector

from legion.llm.canonical import Usage

FailoverKind = Literal["before_first_byte", "mid_stream"]
CircuitState = Literal["closed", "half_open", "open"]
CIRCUIT_VALUES: dict[str, int] = {"closed": 0, "half_open": 1, "half-open": 1, "open": 2}

REQUEST_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0)
TTFT_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0)

M = TypeVar("M", Counter, Gauge, Histogram)


class _Children(Generic[M]):
    """A metric's label children, created once per label combination."""

    __slots__ = ("_cache", "_metric")

    def __init__(self, metric: M) -> None:
        self._metric: M = metric
        self._cache: dict[tuple[str, ...], M] = {}

    def get(self, *labels: str) -> M:
        child = self._cache.get(labels)
        if child is None:
            child = self._metric.labels(*labels)
            self._cache[labels] = child
        return child


class _LedgerDropped(Collector):
    """Reports the ledger writer's own dropped count, which is already a running total."""

    def __init__(self) -> None:
        self.total = 0

    def collect(self) -> Iterator[Metric]:
        yield CounterMetricFamily(
            "legion_llm_ledger_dropped",
            "Ledger records dropped because the queue was full or the database failed.",
            value=self.total,
        )


class GatewayMetrics:
    """The gateway's counters, histograms and gauges in a registry of their own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self._requests = _Children(
            Counter(
                "legion_llm_requests",
                "Client requests by public model, dialect and final status.",
                ["model", "dialect", "status"],
                registry=r,
            )
        )
        self._attempts = _Children(
            Counter(
                "legion_llm_attempts",
                "Upstream attempts by provider, upstream model and outcome.",
                ["provider", "model", "outcome"],
                registry=r,
            )
        )
        self._failovers = _Children(
            Counter(
                "legion_llm_failovers",
                "Failovers to another deployment, before the first byte or mid-stream.",
                ["kind"],
                registry=r,
            )
        )
        self._tokens = _Children(
            Counter(
                "legion_llm_tokens",
                "Tokens by public model and direction (input, output, thinking, cache_read).",
                ["model", "direction"],
                registry=r,
            )
        )
        self._cost = _Children(
            Counter(
                "legion_llm_cost_usd",
                "Known cost in US dollars by public model (requests without prices add nothing).",
                ["model"],
                registry=r,
            )
        )
        self._request_seconds = _Children(
            Histogram(
                "legion_llm_request_seconds",
                "Request duration, from arrival to the last byte.",
                ["model"],
                buckets=REQUEST_BUCKETS,
                registry=r,
            )
        )
        self._ttft_seconds = _Children(
            Histogram(
                "legion_llm_ttft_seconds",
                "Time to the first streamed token.",
                ["model"],
                buckets=TTFT_BUCKETS,
                registry=r,
            )
        )
        self._circuit = _Children(
            Gauge(
                "legion_llm_circuit_state",
                "Circuit breaker per provider instance: 0 closed, 1 half open, 2 open.",
                ["instance"],
                registry=r,
            )
        )
        self._ledger_dropped = _LedgerDropped()
        r.register(self._ledger_dropped)

    # --- events ---------------------------------------------------------------------------------

    def observe_request(
        self,
        model: str,
        dialect: str,
        status: str,
        seconds: float,
        *,
        ttft_seconds: float | None = None,
        usage: Usage | None = None,
        cost_usd: float | None = None,
    ) -> None:
        """A client request finished (successfully or not)."""
        self._requests.get(model, dialect, status).inc()
        self._request_seconds.get(model).observe(seconds)
        if ttft_seconds is not None:
            self._ttft_seconds.get(model).observe(ttft_seconds)
        if usage is not None:
            self.observe_tokens(model, usage)
        if cost_usd is not None and cost_usd > 0:
            self._cost.get(model).inc(cost_usd)

    def observe_tokens(self, model: str, usage: Usage) -> None:
        """Tokens a request used, by direction; zero counts are skipped."""
        for direction, count in (
            ("input", usage.input_tokens),
            ("output", usage.output_tokens),
            ("thinking", usage.thinking_tokens),
            ("cache_read", usage.cache_read_tokens),
        ):
            if count > 0:
                self._tokens.get(model, direction).inc(count)

    def observe_attempt(self, provider: str, model: str, outcome: str) -> None:
        """One upstream attempt ended: `outcome` is "ok" or the error kind."""
        self._attempts.get(provider, model, outcome).inc()

    def observe_failover(self, kind: FailoverKind | str) -> None:
        self._failovers.get(kind).inc()

    def set_circuit(self, instance: str, state: CircuitState | str | int) -> None:
        """A provider instance's breaker changed state (a name or its number)."""
        if isinstance(state, str):
            try:
                value = CIRCUIT_VALUES[state.lower()]
            except KeyError:
                raise ValueError(
                    f"unknown circuit state {state!r}; use closed, half_open or open"
                ) from None
        else:
            value = int(state)
        self._circuit.get(instance).set(value)

    def set_ledger_dropped(self, total: int) -> None:
        """The ledger writer's running dropped count, `LedgerWriter.stats()["dropped"]`."""
        self._ledger_dropped.total = total

    # --- exposition -----------------------------------------------------------------------------

    def render(self) -> tuple[bytes, str]:
        """The text exposition and its content type, for a `/metrics` response."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
