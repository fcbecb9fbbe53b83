"""The gateway core, shared by every dialect: authenticate, route, call candidates in escalation
order (continuing streams across providers), and account for every request and attempt."""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from legion.llm.accounting import Accounting
from legion.llm.canonical import (
    ChatRequest,
    ChatResponse,
    EmbeddingRequest,
    EmbeddingResponse,
    Message,
    Part,
    StreamEvent,
    TextPart,
    Usage,
)
from legion.llm.config import GatewayConfig
from legion.llm.deployment import Deployment
from legion.llm.errors import ErrorKind, GatewayError
from legion.llm.failover import StreamOutcome, failover_stream
from legion.llm.ids import new_id
from legion.llm.keys import KeyStore, Principal
from legion.llm.providers.registry import ProviderRegistry
from legion.llm.routing.candidates import RoutePlan, Router
from legion.llm.routing.escalation import Escalation
from legion.llm.routing.health_tracker import HealthTracker
from legion.llm.tokens import estimate_request, estimate_text

if TYPE_CHECKING:
    from legion.llm.curation.between_turns import BetweenTurns

T = TypeVar("T")


@dataclass
class RequestContext:
    """One client request as it moves through the gateway; the ledger reads it at the end."""

    dialect: str
    request_type: str
    principal: Principal
    model_name: str = ""
    conversation_id: str | None = None
    request_id: str = field(default_factory=new_id)
    started: float = field(default_factory=time.perf_counter)
    plan: RoutePlan | None = None
    escalation: Escalation | None = None
    deployment: Deployment | None = None
    failovers: int = 0
    ttft_ms: float | None = None
    stream: bool = False
    # Curation asked for by the request (header); None: the key's or the gateway's setting.
    curation: bool | None = None
    # The messages as the client sent them, when curation replaced their history.
    raw_messages: list[Message] | None = None

    @property
    def route_header(self) -> str:
        """`x-legion-route`: which deployment answered and why it was chosen."""
        if self.deployment is None:
            return ""
        d = self.deployment
        text = f"{d.model_name}@{d.provider}/{d.model} tier={d.tier}"
        if self.failovers:
            text += f" failovers={self.failovers}"
        return text


class Gateway:
    def __init__(
        self,
        config: GatewayConfig,
        *,
        providers: ProviderRegistry | None = None,
        accounting: Accounting | None = None,
    ) -> None:
        self.config = config
        h = config.health
        self.health = HealthTracker(
            window=h.window_seconds,
            threshold=h.failure_threshold,
            cooldown=h.cooldown_seconds,
            latency_penalty_ms=h.latency_penalty_ms,
        )
        self.router = Router(config, self.health)
        self.keys = KeyStore(config.master_key, config.keys)
        self.providers = providers or ProviderRegistry()
        self.accounting = accounting or Accounting.from_config(config)
        self.accounting.keys = self.keys
        self.max_attempts = config.escalation.max_attempts if config.escalation.enabled else 1
        self.curation: BetweenTurns | None = None
        self.started = int(time.time())

    def start(self) -> None:
        """Start the ledger writer, and load litellm's price map off the request path."""
        self.accounting.start()
        self._resume_budgets()
        if any(d.input_cost_per_token is None for d in self.config.deployments):
            threading.Thread(target=_load_prices, name="legion-llm-prices", daemon=True).start()

    def _resume_budgets(self) -> None:
        """Budgets count lifetime spend: start from what the ledger already holds."""
        if (
            not any(k.max_budget is not None for k in self.config.keys)
            or not self.config.ledger.url
        ):
            return
        from legion.llm.ledger.summary import LedgerUnavailable, spend_by_key

        try:
            self.keys.load_spend(spend_by_key(self.config.ledger.url))
        except LedgerUnavailable as exc:
            from legion.core.logging import logger

            logger.warning("budgets start at zero: the ledger did not answer ({})", exc)

    async def aclose(self) -> None:
        await self.providers.aclose()
        self.accounting.close()
        if self.curation is not None:
            self.curation.close()

    def curated(self, request: ChatRequest, ctx: RequestContext) -> ChatRequest:
        """The request with the conversation's curated history, when curation is on for it:
        the `x-legion-curation` header, else the key's setting, else the gateway's."""
        choices = (ctx.curation, ctx.principal.curation, self.config.curation.enabled)
        on = next(c for c in choices if c is not None)
        if not on or ctx.conversation_id is None:
            return request
        if self.curation is None:
            self.curation = _curation(self.config)
        ctx.curation = True
        ctx.raw_messages = request.messages
        return self.curation.prepare(ctx.conversation_id, request)

    def _after_turn(self, request: ChatRequest, ctx: RequestContext, answer: list[Part]) -> None:
        if ctx.curation and self.curation is not None and ctx.conversation_id is not None:
            raw = ctx.raw_messages if ctx.raw_messages is not None else request.messages
            self.curation.after(ctx.conversation_id, raw, request.messages, answer)

    def health_snapshot(self) -> dict[str, Any]:
        return self.health.snapshot()

    # --- requests --------------------------------------------------------------------------

    def authenticate(self, authorization: str | None, x_api_key: str | None) -> Principal:
        return self.keys.authenticate(authorization, x_api_key)

    def _plan(self, request: ChatRequest, ctx: RequestContext, operation: str) -> Escalation:
        ctx.model_name = request.model
        self.keys.authorize_model(ctx.principal, request.model)
        self.keys.check_budget(ctx.principal)
        plan = self.router.route(
            request,
            estimated_tokens=estimate_request(request),
            operation=operation,  # type: ignore[arg-type]
        )
        ctx.plan = plan
        ctx.escalation = Escalation(plan, self.max_attempts, self.health)
        return ctx.escalation

    async def chat(self, request: ChatRequest, ctx: RequestContext) -> ChatResponse:
        escalation = self._plan(request, ctx, "chat")
        try:
            response = await self._escalate(
                escalation,
                ctx,
                lambda d: self.providers.get(d.provider).chat(request, d),
            )
        except GatewayError as error:
            self.accounting.finish(ctx, None, error)
            raise
        response.model = request.model
        self.accounting.finish(ctx, response.usage, None)
        self._after_turn(request, ctx, response.content)
        return response

    async def _escalate(
        self,
        escalation: Escalation,
        ctx: RequestContext,
        call: Callable[[Deployment], Awaitable[T]],
    ) -> T:
        """Call the candidates in escalation order until one answers; a client error stops."""
        while (deployment := escalation.next()) is not None:
            if ctx.deployment is not None:
                ctx.failovers += 1
            ctx.deployment = deployment
            started = time.perf_counter()
            try:
                result = await call(deployment)
            except GatewayError as error:
                escalation.report(deployment, error, _ms(started))
                if not (error.retryable or error.unusable):
                    raise
                continue
            escalation.report(deployment, None, _ms(started))
            return result
        raise escalation.exhausted_error()

    def stream(self, request: ChatRequest, ctx: RequestContext) -> AsyncIterator[StreamEvent]:
        """Events for the client; raises GatewayError before the first event if nothing can
        answer, and from inside the stream once events have been delivered."""
        escalation = self._plan(request, ctx, "chat")
        ctx.stream = True
        return self._stream(request, ctx, escalation)

    async def _stream(
        self, request: ChatRequest, ctx: RequestContext, escalation: Escalation
    ) -> AsyncIterator[StreamEvent]:
        outcome = StreamOutcome()

        def call(req: ChatRequest, deployment: Deployment) -> AsyncIterator[StreamEvent]:
            ctx.deployment = deployment
            return self.providers.get(deployment.provider).stream(req, deployment)

        def switched(old: Deployment, new: Deployment, delivered: int) -> None:
            self.accounting.failover(old, new, mid_stream=delivered > 0)

        error: GatewayError | None = None
        try:
            async for event in failover_stream(
                request, escalation, call, outcome, on_switch=switched
            ):
                yield event
        except GatewayError as exc:
            error = exc
            raise
        finally:
            ctx.failovers = outcome.failovers
            ctx.ttft_ms = outcome.ttft_ms
            usage = outcome.usage
            if usage.output_tokens == 0 and outcome.delivered_text:
                # Cut short (client gone or every candidate failed): count what was delivered.
                usage = Usage(estimate_request(request), estimate_text(outcome.delivered_text))
            self.accounting.finish(ctx, usage, error)
            if error is None and outcome.delivered_text:
                self._after_turn(request, ctx, [TextPart(outcome.delivered_text)])

    async def embed(self, request: EmbeddingRequest, ctx: RequestContext) -> EmbeddingResponse:
        escalation = self._plan(ChatRequest(model=request.model, messages=[]), ctx, "embeddings")
        try:
            response = await self._escalate(
                escalation,
                ctx,
                lambda d: self.providers.get(d.provider).embed(request, d),
            )
        except GatewayError as error:
            self.accounting.finish(ctx, None, error)
            raise
        response.model = request.model
        self.accounting.finish(ctx, response.usage, None)
        return response

    def models(self, principal: Principal) -> list[str]:
        names = self.config.public_models()
        if principal.models is None:
            return names
        return [n for n in names if n in principal.models]

    def require_model(self, name: str, principal: Principal) -> None:
        if name not in self.config.by_name:
            raise GatewayError(ErrorKind.NOT_FOUND, f"model {name!r} is not configured", "model")
        self.keys.authorize_model(principal, name)


def _curation(config: GatewayConfig) -> BetweenTurns:
    from legion.llm.curation.between_turns import BetweenTurns
    from legion.llm.curation.settings import CurationSettings

    c = config.curation
    return BetweenTurns(
        CurationSettings(
            enabled=True,
            preserve_recent_turns=c.preserve_recent_turns,
            target_context_tokens=c.target_context_tokens,
            archive_dir=c.archive_dir,
        )
    )


def _load_prices() -> None:
    from legion.llm.pricing import load_price_map

    try:
        load_price_map()
    except Exception as exc:  # a missing optional extra must not stop the gateway
        from legion.core.logging import logger

        logger.warning("litellm price map not loaded ({}); costs come from the config only", exc)


def _ms(since: float) -> float:
    return (time.perf_counter() - since) * 1000
