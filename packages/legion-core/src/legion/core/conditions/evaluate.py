"""The two questions asked of conditions: does it hold (`evaluate`), and why (`explain`)."""

from __future__ import annotations

from typing import Any

from legion.core.conditions.compiled import Condition


def evaluate(rules: dict[str, Any] | Condition, payload: Any) -> bool:
    """Whether `rules` hold for `payload`, short-circuiting; raw rules are validated first.

    Raises `InvalidConditions` for invalid raw rules; otherwise never raises.
    """
    return _condition(rules).evaluate(payload)


def explain(rules: dict[str, Any] | Condition, payload: Any) -> dict[str, Any]:
    """Every group and rule with its result, the resolved facts and `valid`, the overall verdict."""
    return _condition(rules).explain(payload)


def _condition(rules: dict[str, Any] | Condition) -> Condition:
    return rules if isinstance(rules, Condition) else Condition(rules, detach=False)
