"""The router: which deployments may serve a request, in which order, and why the others may not.

Every excluded deployment keeps its reason, so `x-legion-route`, the ledger and error messages
can say why a request went where it went (or nowhere).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from legion.llm.canonical import (
    ChatRequest,
    EmbeddingRequest,
    ImagePart,
    RouteHints,
    ToolResultPart,
)
from legion.llm.config.gateway_config import GatewayConfig
from legion.llm.deployment import Deployment
from legion.llm.errors import ErrorKind, GatewayError
from legion.llm.routing.health_tracker import CircuitState, HealthTracker
from legion.llm.routing.scoring import Score, score_all

Operation = Literal["chat", "embeddings"]
CONTEXT_SHARE = 0.9  # leave room for the answer and for estimate error

# Exclusion reasons start with one of these words; the error for "nothing left" follows the
# first that excluded anything, in this order.
_NOTHING_LEFT: tuple[tuple[str, ErrorKind], ...] = (
    ("context", ErrorKind.CONTEXT_OVERFLOW),
    ("capability", ErrorKind.UNSUPPORTED),
    ("privacy", ErrorKind.PERMISSION),
    ("never_cloud", ErrorKind.PERMISSION),
    ("not allowed", ErrorKind.PERMISSION),
    ("unusable", ErrorKind.OVERLOADED),
)


@dataclass(slots=True)
class RoutePlan:
    """The candidates in the order to try them: the requested model's deployments by score, then
    its fallback models' (each by score), open circuits last."""

    model: str
    candidates: list[Deployment]
    excluded: list[tuple[str, str]] = field(default_factory=list)
    reason: str = ""
    scores: dict[str, Score] = field(default_factory=dict)
    # Circuit state per provider instance when the plan was made.
    states: dict[str, CircuitState] = field(default_factory=dict)
    # The requested model, then the fallback models in the order they were appended.
    models: list[str] = field(default_factory=list)
    # Hints that matched nothing and were ignored, and similar remarks.
    notes: list[str] = field(default_factory=list)

    def score(self, deployment: Deployment) -> float:
        found = self.scores.get(deployment.id)
        return found.total if found is not None else 0.0


class Router:
    def __init__(self, config: GatewayConfig, health: HealthTracker) -> None:
        self.config = config
        self.health = health

    def route(
        self,
        request: ChatRequest | EmbeddingRequest,
        *,
        estimated_tokens: int,
        operation: Operation = "chat",
        allowed_models: set[str] | None = None,
    ) -> RoutePlan:
        model = request.model
        by_name = self.config.by_name
        if model not in by_name:
            visible = [m for m in by_name if allowed_models is None or m in allowed_models]
            raise GatewayError(
                ErrorKind.NOT_FOUND,
                f"model '{model}' is not configured; configured models: {', '.join(visible)}",
                param="model",
            )
        if allowed_models is not None and model not in allowed_models:
            raise GatewayError(
                ErrorKind.PERMISSION, f"this key may not use model '{model}'", param="model"
            )
        hints = request.hints if isinstance(request, ChatRequest) else RouteHints()
        check = _Checks(
            health=self.health,
            privacy=self.config.privacy or hints.privacy,
            never_cloud=any(d.never_cloud for d in by_name[model]),
            model=model,
            estimated_tokens=estimated_tokens,
            needs=_needs(request, operation),
            chat=operation == "chat",
        )
        excluded: list[tuple[str, str]] = []
        notes: list[str] = []
        primary = check.keep(by_name[model], excluded)
        over_window = any(reason.startswith("context") for _, reason in excluded)
        primary = _apply_hints(primary, hints, excluded, notes)
        groups: list[tuple[str, list[Deployment]]] = [(model, primary)]

        wanted = list(self.config.fallbacks.get(model, []))
        if over_window:
            wanted += self.config.context_window_fallbacks.get(model, [])
        for name in wanted:
            if name == model or any(name == seen for seen, _ in groups) or name not in by_name:
                continue
            if allowed_models is not None and name not in allowed_models:
                excluded += [(d.id, "not allowed for this key") for d in by_name[name]]
                continue
            groups.append((name, check.keep(by_name[name], excluded)))

        pool = [d for _, group in groups for d in group]
        scores = score_all(pool, self.health, hints.effort)
        states = {d.instance: self.health.state(d.instance) for d in pool}
        ordered = [
            d
            for _, group in groups
            for d in sorted(group, key=lambda d: -scores[d.id].total)  # stable: config order
        ]
        ordered.sort(key=lambda d: states[d.instance] == "open")
        if not ordered:
            raise _nothing_left(model, excluded)
        return RoutePlan(
            model=model,
            candidates=ordered,
            excluded=excluded,
            reason=_reason(model, ordered[0], scores[ordered[0].id], excluded, notes),
            scores=scores,
            states=states,
            models=[name for name, group in groups if group],
            notes=notes,
        )


@dataclass(frozen=True, slots=True)
class _Checks:
    """The per-deployment filters, each giving the reason it excludes a deployment."""

    health: HealthTracker
    privacy: bool
    never_cloud: bool
    model: str
    estimated_tokens: int
    needs: frozenset[str]
    chat: bool

    def keep(
        self, deployments: Iterable[Deployment], excluded: list[tuple[str, str]]
    ) -> list[Deployment]:
        kept: list[Deployment] = []
        for d in deployments:
            reason = self.reason(d)
            if reason is None:
                kept.append(d)
            else:
                excluded.append((d.id, reason))
        return kept

    def reason(self, d: Deployment) -> str | None:
        unusable = self.health.unusable_reason(d.id)
        if unusable is not None:
            return f"unusable: {unusable}"
        if self.privacy and d.is_cloud:
            return f"privacy mode excludes tier {d.tier}"
        if self.never_cloud and d.is_cloud:
            return f"never_cloud: model '{self.model}' must not reach tier {d.tier}"
        if d.context_window and self.estimated_tokens > CONTEXT_SHARE * d.context_window:
            return (
                f"context: ~{self.estimated_tokens} tokens exceed 90% of the "
                f"{d.context_window}-token window"
            )
        if d.capabilities:
            missing = sorted(self.needs - d.capabilities)
            if missing:
                return f"capability: lacks {', '.join(missing)}"
            if self.chat and d.capabilities <= {"embeddings"}:
                return "capability: embeddings only"
        return None


def _needs(request: ChatRequest | EmbeddingRequest, operation: Operation) -> frozenset[str]:
    if operation == "embeddings" or isinstance(request, EmbeddingRequest):
        return frozenset({"embeddings"})
    needs: set[str] = set()
    if request.tools:
        needs.add("tools")
    if any(_has_image(part) for message in request.messages for part in message.content):
        needs.add("vision")
    return frozenset(needs)


def _has_image(part: object) -> bool:
    if isinstance(part, ImagePart):
        return True
    return isinstance(part, ToolResultPart) and any(isinstance(p, ImagePart) for p in part.content)


def _apply_hints(
    deployments: list[Deployment],
    hints: RouteHints,
    excluded: list[tuple[str, str]],
    notes: list[str],
) -> list[Deployment]:
    """A provider or tier hint restricts the candidates when it matches one; a hint matching
    none is ignored (and noted), since refusing the request would help nobody."""
    for label, value, matches in (
        ("provider", hints.provider, _provider_matches),
        ("tier", hints.tier, lambda d, v: d.tier == v),
    ):
        if not value:
            continue
        chosen = [d for d in deployments if matches(d, value)]
        if not chosen:
            notes.append(f"hint {label}={value} matches no candidate, ignored")
            continue
        excluded += [(d.id, f"hint {label}={value}") for d in deployments if d not in chosen]
        deployments = chosen
    return deployments


def _provider_matches(d: Deployment, value: str) -> bool:
    """The adapter family (`openai`, `anthropic`, `litellm`) or litellm's provider prefix."""
    if d.provider == value:
        return True
    return d.provider == "litellm" and d.model.partition("/")[0] == value


def _reason(
    model: str,
    top: Deployment,
    score: Score,
    excluded: list[tuple[str, str]],
    notes: list[str],
) -> str:
    text = (
        f"model={top.model_name} deployment={top.id} tier={top.tier} "
        f"score={round(score.total, 1):g} (priority {score.priority}, health {score.health:g})"
    )
    if top.model_name != model:
        text = f"fallback from {model}: {text}"
    if excluded:
        text += f"; {len(excluded)} excluded"
    return "; ".join([text, *notes])


def _nothing_left(model: str, excluded: list[tuple[str, str]]) -> GatewayError:
    kind = next(
        (
            kind
            for word, kind in _NOTHING_LEFT
            if any(reason.startswith(word) for _, reason in excluded)
        ),
        ErrorKind.UNSUPPORTED,
    )
    listed = "; ".join(f"{d}: {reason}" for d, reason in excluded[:5])
    more = f" (and {len(excluded) - 5} more)" if len(excluded) > 5 else ""
    return GatewayError(
        kind,
        f"no deployment of model '{model}' can serve this request: {listed}{more}",
        param="model",
        details={"excluded": [{"deployment": d, "reason": r} for d, r in excluded]},
    )
