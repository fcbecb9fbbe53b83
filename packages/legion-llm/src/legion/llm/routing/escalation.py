"""Escalation: the order the gateway tries a plan's candidates in, and what each failure rules
out, so a failing request moves on to the deployments that can still succeed.

The gateway drives it: `next()` gives the deployment to try (None when done), `report()` says
how it went. Outcomes also feed the health tracker, so the next plan already knows.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Literal

from legion.llm.deployment import Deployment
from legion.llm.errors import ErrorKind, GatewayError
from legion.llm.routing.candidates import RoutePlan
from legion.llm.routing.health_tracker import HealthTracker

Outcome = Literal["ok", "error", "skipped"]

# The client's own mistakes: another deployment would refuse the request the same way.
CLIENT_ERRORS = frozenset(
    {
        ErrorKind.INVALID_REQUEST,
        ErrorKind.AUTHENTICATION,
        ErrorKind.PERMISSION,
        ErrorKind.NOT_FOUND,
        ErrorKind.REQUEST_TOO_LARGE,
        ErrorKind.UNSUPPORTED,
    }
)
# Errors that say something about the provider instance, and so count against its circuit.
INSTANCE_FAILURES = frozenset(
    {
        ErrorKind.RATE_LIMIT,
        ErrorKind.UPSTREAM,
        ErrorKind.OVERLOADED,
        ErrorKind.TIMEOUT,
        ErrorKind.INTERNAL,
    }
)
MESSAGE_LIMIT = 200


@dataclass(slots=True)
class Attempt:
    deployment_id: str
    model_name: str
    provider: str
    model: str
    tier: str
    outcome: Outcome
    error_kind: str | None = None
    message: str | None = None
    duration_ms: float = 0.0

    @classmethod
    def of(cls, d: Deployment, outcome: Outcome, **fields: Any) -> Attempt:
        return cls(d.id, d.model_name, d.provider, d.model, d.tier, outcome, **fields)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def escalation_order(plan: RoutePlan) -> list[Deployment]:
    """Per model group (the requested model, then each fallback): the group's first candidate,
    the rest of its tier, the higher tiers nearest first, then the lower tiers nearest first;
    by score within a tier."""
    order: list[Deployment] = []
    for name in plan.models:
        group = [d for d in plan.candidates if d.model_name == name]
        if not group:
            continue
        first, rank = group[0], group[0].tier_rank
        by_score = sorted(group, key=lambda d: -plan.score(d))
        same = [d for d in by_score if d.tier_rank == rank and d is not first]
        higher = sorted((d for d in by_score if d.tier_rank > rank), key=lambda d: d.tier_rank)
        lower = sorted((d for d in by_score if d.tier_rank < rank), key=lambda d: -d.tier_rank)
        order += [first, *same, *higher, *lower]
    order += [d for d in plan.candidates if d not in order]
    return order


class Escalation:
    def __init__(self, plan: RoutePlan, max_attempts: int, health: HealthTracker) -> None:
        self.plan = plan
        self.max_attempts = max_attempts
        self.health = health
        self.history: list[Attempt] = []
        self._queue = escalation_order(plan)
        self._attempts = 0
        self._probing: set[str] = set()  # deployments handed out on an acquired probe
        self._stop_error: GatewayError | None = None

    @property
    def attempts(self) -> int:
        return self._attempts

    @property
    def stop_error(self) -> GatewayError | None:
        """The client error that ended escalation early; the gateway answers with it as is."""
        return self._stop_error

    def __iter__(self) -> Escalation:
        return self

    def __next__(self) -> Deployment:
        deployment = self.next()
        if deployment is None:
            raise StopIteration
        return deployment

    def next(self) -> Deployment | None:
        """The next deployment to try, None when done. The first closed circuit in order, unless
        a half-open instance of the same model at the same or a closer tier has its probe free:
        then the probe goes first, since a half-open circuit recovers only by being probed. With
        every remaining circuit open (or probing), the first remaining deployment is tried."""
        if self._stop_error is not None or self._attempts >= self.max_attempts:
            return None
        for d in list(self._queue):
            reason = self.health.unusable_reason(d.id)
            if reason is not None:
                self._skip(d, f"unusable: {reason}", None)
        if not self._queue:
            return None
        states = {d.instance: self.health.state(d.instance) for d in self._queue}
        chosen = next((d for d in self._queue if states[d.instance] == "closed"), None)
        for d in self._queue:
            if states[d.instance] != "half_open":
                continue
            if chosen is not None and (
                d.model_name != chosen.model_name or d.tier_rank > chosen.tier_rank
            ):
                continue
            if self.health.try_acquire(d.instance):
                chosen = d
                self._probing.add(d.id)
                break
        if chosen is None:
            chosen = self._queue[0]
        self._queue.remove(chosen)
        self._attempts += 1
        return chosen

    def report(
        self, deployment: Deployment, error: GatewayError | None, duration_ms: float
    ) -> None:
        """How the attempt on `deployment` went: None for success."""
        instance = deployment.instance
        probing = deployment.id in self._probing
        self._probing.discard(deployment.id)
        if error is None:
            self.health.record_success(instance, duration_ms)
            self.history.append(Attempt.of(deployment, "ok", duration_ms=duration_ms))
            return
        self.history.append(
            Attempt.of(
                deployment,
                "error",
                error_kind=str(error.kind),
                message=_shorten(error.message),
                duration_ms=duration_ms,
            )
        )
        if error.unusable:
            self.health.mark_unusable(deployment.id, _shorten(error.message))
        elif error.kind in INSTANCE_FAILURES:
            self.health.record_failure(instance)
            probing = False
        if probing:
            self.health.release(instance)
        if error.unusable or error.kind == ErrorKind.RATE_LIMIT:
            return
        if error.kind == ErrorKind.CONTEXT_OVERFLOW:
            self._skip_smaller_windows(deployment, error)
        elif error.retryable:
            for d in list(self._queue):
                if d.instance == instance and d.model == deployment.model:
                    self._skip(d, f"same provider and model as {deployment.id}", error)
        elif error.kind in CLIENT_ERRORS:
            self._stop_error = error

    def exhausted_error(self) -> GatewayError:
        """The answer when no candidate succeeded: 503 with when to retry, and every attempt."""
        failed = [a for a in self.history if a.outcome == "error"]
        if failed:
            listed = "; ".join(f"{a.deployment_id} ({a.error_kind}: {a.message})" for a in failed)
            message = f"all {len(failed)} candidates failed: {listed}"
        else:
            message = f"no candidate of model '{self.plan.model}' could be tried"
        waits = [self.health.seconds_until_half_open(d.instance) for d in self.plan.candidates]
        known = [w for w in waits if w is not None and w > 0]
        return GatewayError(
            ErrorKind.OVERLOADED,
            message,
            retry_after=float(max(1, math.ceil(min(known)))) if known else 1.0,
            details={"attempts": [a.to_dict() for a in self.history]},
        )

    # --- internals ----------------------------------------------------------------------------

    def _skip_smaller_windows(self, failed: Deployment, error: GatewayError) -> None:
        """After a context overflow the rest of the tier is skipped, except deployments known to
        have a larger window than the one that overflowed."""
        for d in list(self._queue):
            if d.tier != failed.tier:
                continue
            larger = (
                failed.context_window is not None
                and d.context_window is not None
                and d.context_window > failed.context_window
            )
            if not larger:
                self._skip(d, f"same tier as {failed.id}, whose context overflowed", error)

    def _skip(self, d: Deployment, why: str, error: GatewayError | None) -> None:
        self._queue.remove(d)
        self.history.append(
            Attempt.of(
                d, "skipped", error_kind=str(error.kind) if error is not None else None, message=why
            )
        )


def _shorten(text: str) -> str:
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 1] + "…"
