"""After each request: ledger rows (the request and each attempt), metrics, spend on the key.

Runs on the request path, so it only builds small records and hands them to the ledger's
bounded queue; a slow or dead database never delays or fails a request.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from legion.llm.canonical import Usage
from legion.llm.errors import GatewayError
from legion.llm.ledger.record import LedgerRecord
from legion.llm.ledger.writer import LedgerWriter
from legion.llm.metrics import GatewayMetrics
from legion.llm.pricing import cost_usd

if TYPE_CHECKING:
    from legion.llm.config import GatewayConfig
    from legion.llm.deployment import Deployment
    from legion.llm.gateway import RequestContext
    from legion.llm.keys import KeyStore


class Accounting:
    def __init__(self, ledger: LedgerWriter | None, metrics: GatewayMetrics) -> None:
        self.ledger = ledger
        self.metrics = metrics
        self.keys: KeyStore | None = None

    @classmethod
    def from_config(cls, config: GatewayConfig) -> Accounting:
        url = config.ledger.url
        ledger = LedgerWriter(url, queue_size=config.ledger.queue_size) if url else None
        return cls(ledger, GatewayMetrics())

    def start(self) -> None:
        if self.ledger is not None:
            self.ledger.start()

    def close(self) -> None:
        if self.ledger is not None:
            self.ledger.stop()

    def render_metrics(self) -> tuple[bytes, str]:
        if self.ledger is not None:
            self.metrics.set_ledger_dropped(self.ledger.stats()["dropped"])
        return self.metrics.render()

    def failover(self, old: Deployment, new: Deployment, *, mid_stream: bool) -> None:
        self.metrics.observe_failover("mid_stream" if mid_stream else "before_first_byte")

    def finish(self, ctx: RequestContext, usage: Usage | None, error: GatewayError | None) -> None:
        """Record the request and its attempts; charge the key what it cost."""
        latency_ms = (time.perf_counter() - ctx.started) * 1000
        deployment = ctx.deployment
        model_name = ctx.model_name
        cost = cost_usd(deployment, usage) if deployment and usage else None
        if cost and self.keys is not None:
            self.keys.charge(ctx.principal, cost)
        status = "error" if error is not None else ("failover" if ctx.failovers else "ok")
        self.metrics.observe_request(
            model=model_name,
            dialect=ctx.dialect,
            status=status,
            seconds=latency_ms / 1000,
            ttft_seconds=None if ctx.ttft_ms is None else ctx.ttft_ms / 1000,
            usage=usage,
            cost_usd=cost,
        )
        escalation = ctx.escalation
        history = escalation.history if escalation is not None else []
        for attempt in history:
            self.metrics.observe_attempt(attempt.provider, attempt.model, attempt.outcome)
        if escalation is not None and history:
            used = {a.deployment_id for a in history}
            for candidate in escalation.plan.candidates:
                if candidate.id in used:
                    state = escalation.health.state(candidate.instance)
                    self.metrics.set_circuit(candidate.instance, state)
        if self.ledger is None:
            return
        request_row = LedgerRecord(
            request_id=ctx.request_id,
            caller=ctx.principal.name,
            conversation_id=ctx.conversation_id,
            request_type=ctx.request_type,  # type: ignore[arg-type]
            dialect=ctx.dialect,  # type: ignore[arg-type]
            model_name=model_name,
            tier=deployment.tier if deployment else None,
            cost_usd=cost,
            latency_ms=latency_ms,
            ttft_ms=ctx.ttft_ms,
            route_reason=ctx.plan.reason if ctx.plan is not None else None,
            status=status,  # type: ignore[arg-type]
            error_kind=error.kind.value if error is not None else None,
            error_message=error.message[:500] if error is not None else None,
            stream=ctx.stream,
            failovers=ctx.failovers,
        )
        if deployment is not None:
            request_row.set_deployment(deployment)
        if usage is not None:
            request_row.add_usage(usage)
        self.ledger.submit(request_row)
        tried = [a for a in history if a.outcome != "skipped"]
        for number, attempt in enumerate(tried, start=1):
            self.ledger.submit(
                LedgerRecord(
                    request_id=ctx.request_id,
                    attempt=number,
                    kind="attempt",
                    caller=ctx.principal.name,
                    conversation_id=ctx.conversation_id,
                    request_type=ctx.request_type,  # type: ignore[arg-type]
                    dialect=ctx.dialect,  # type: ignore[arg-type]
                    model_name=model_name,
                    tier=attempt.tier,
                    provider=attempt.provider,
                    model=attempt.model,
                    deployment_id=attempt.deployment_id,
                    latency_ms=attempt.duration_ms,
                    status="ok" if attempt.outcome == "ok" else "error",
                    error_kind=attempt.error_kind,
                    error_message=(attempt.message or "")[:500] or None,
                    stream=ctx.stream,
                )
            )
