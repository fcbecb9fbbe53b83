"""How much the router likes a deployment: its priority, its health, how close and cheap its tier
is, how cheap it is among the candidates, and whether it reasons when the caller asked for effort.

The tier term (100 per tier) dominates, so the cheapest, closest tier is tried first and the
other terms order deployments within a tier.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from legion.llm.canonical import Effort
from legion.llm.deployment import TIER_RANK, Deployment
from legion.llm.routing.health_tracker import HealthTracker

TIER_WEIGHT = 100.0
COST_WEIGHT = 10.0
EFFORT_BONUS = 25.0
# A deployment whose cost is unknown sits in the middle of the cost range.
UNKNOWN_COST = 0.5
REASONING_EFFORTS = frozenset({"high", "reasoning"})


@dataclass(frozen=True, slots=True)
class Score:
    priority: int
    health: float
    tier: float
    cost: float
    effort: float

    @property
    def total(self) -> float:
        return self.priority + self.health + self.tier + self.cost + self.effort


def token_cost(deployment: Deployment) -> float | None:
    """Input plus output price per token; None when neither is known."""
    prices = (deployment.input_cost_per_token, deployment.output_cost_per_token)
    if all(p is None for p in prices):
        return None
    return sum(p for p in prices if p is not None)


def score_all(
    deployments: Iterable[Deployment], health: HealthTracker, effort: Effort | None
) -> dict[str, Score]:
    """Scores by deployment id; the cost term is normalised among these deployments."""
    items = list(deployments)
    costs = {d.id: token_cost(d) for d in items}
    known = [c for c in costs.values() if c is not None]
    low, high = (min(known), max(known)) if known else (0.0, 0.0)
    tiers = len(TIER_RANK)
    scores: dict[str, Score] = {}
    for d in items:
        cost = costs[d.id]
        if cost is None:
            normalised = UNKNOWN_COST
        else:
            normalised = (cost - low) / (high - low) if high > low else 0.0
        scores[d.id] = Score(
            priority=d.priority,
            health=health.adjustment(d.instance),
            tier=(tiers - d.tier_rank) * TIER_WEIGHT,
            cost=(1.0 - normalised) * COST_WEIGHT,
            effort=EFFORT_BONUS
            if effort in REASONING_EFFORTS and "reasoning" in d.capabilities
            else 0.0,
        )
    return scores
