"""The rules runner: the engine's own condition logic, so a rule behaves here as in a chain.

Rules are `{"all": [...]}` or `{"any": [...]}` of `{"fact", "operator", "value"}` items; facts
are dotted paths into the payload (`results.code`, `items.0.id`). `legion.core.conditions` is
imported when a rule is checked, so loading the extension stays cheap.
"""

from __future__ import annotations

from typing import Any

from legion.core.sdk import capability

__all__ = ["evaluate", "explain", "operators", "validate"]


@capability(idempotent=True)
def evaluate(rules: dict[str, Any], payload: dict[str, Any]) -> bool:
    """Whether `rules` hold for `payload`; invalid rules are refused with every problem listed."""
    from legion.core import conditions

    return conditions.evaluate(rules, payload)


@capability(idempotent=True)
def explain(rules: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    """Every group and rule with its result and the fact it saw; `valid` is the overall verdict."""
    from legion.core import conditions

    return conditions.explain(rules, payload)


@capability(idempotent=True)
def validate(rules: dict[str, Any]) -> dict[str, Any]:
    """Check rules without a payload: `{valid, problems}`, each problem as `{path, problem}`."""
    from legion.core import conditions

    try:
        conditions.validate(rules)
    except conditions.InvalidConditions as exc:
        problems = exc.details if isinstance(exc.details, list) else [{"problem": exc.message}]
        return {"valid": False, "problems": problems, "message": exc.message}
    return {"valid": True, "problems": []}


@capability(idempotent=True)
def operators() -> list[str]:
    """The operator names rules may use: the built-ins and any installed plugins."""
    from legion.core import conditions

    return conditions.operator_names()
