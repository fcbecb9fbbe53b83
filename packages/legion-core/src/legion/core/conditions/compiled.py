"""Compiled conditions: validated once, with fact paths split, regexes compiled and operator
functions looked up, so the engine can evaluate the same rules on every trigger completion cheaply.
"""

from __future__ import annotations

import copy
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

from legion.core.conditions import facts
from legion.core.conditions.facts import MISSING
from legion.core.conditions.operators import Operator
from legion.core.conditions.registry import lookup, operator_failed
from legion.core.conditions.validate import GROUPS, InvalidConditions, validate


class _Rule(ABC):
    __slots__ = ("expected", "fact", "func", "name", "path", "steps", "value", "when_missing")

    def __init__(self, rule: dict[str, Any], path: str, op: Operator, expected: Any) -> None:
        self.path = path
        self.fact: str = rule["fact"]
        self.steps = facts.split(self.fact)
        self.name: str = rule["operator"]
        self.value: Any = rule.get("value")
        self.func: Callable[..., bool] = op.func
        self.when_missing = op.when_missing
        self.expected = expected

    @abstractmethod
    def holds(self, payload: Any) -> bool:
        """Whether this rule or group is true for the payload."""

    def explain(self, payload: Any) -> dict[str, Any]:
        actual = facts.resolve(payload, self.steps)
        found = actual is not MISSING
        return {
            "path": self.path,
            "fact": self.fact,
            "operator": self.name,
            "expected": copy.deepcopy(self.value),  # the report must not alias the rule
            "actual": actual if found else None,
            "found": found,
            "result": self.holds(payload),
        }


class _BinaryRule(_Rule):
    __slots__ = ()

    def holds(self, payload: Any) -> bool:
        actual = facts.resolve(payload, self.steps)
        if actual is MISSING:
            return self.when_missing
        try:
            return self.func(actual, self.expected) is True
        except Exception as exc:
            return operator_failed(self.name, self.path, exc)


class _UnaryRule(_Rule):
    __slots__ = ()

    def holds(self, payload: Any) -> bool:
        actual = facts.resolve(payload, self.steps)
        if actual is MISSING:
            return self.when_missing
        try:
            return self.func(actual) is True
        except Exception as exc:
            return operator_failed(self.name, self.path, exc)


class _Group(ABC):
    __slots__ = ("items", "kind", "path")

    def __init__(self, kind: str, path: str, items: tuple[_Rule | _Group, ...]) -> None:
        self.kind = kind
        self.path = path
        self.items = items

    @abstractmethod
    def holds(self, payload: Any) -> bool:
        """Whether this rule or group is true for the payload."""

    def explain(self, payload: Any) -> dict[str, Any]:
        """Evaluates every item, so the report is complete even where `holds` would stop early."""
        rules = [item.explain(payload) for item in self.items]
        verdicts = [entry["result"] for entry in rules]
        result = all(verdicts) if self.kind == "all" else any(verdicts)
        return {"group": self.kind, "path": self.path, "result": result, "rules": rules}


# The explicit loops below are the hot path and cheaper than all()/any() over a generator.


class _All(_Group):
    __slots__ = ()

    def holds(self, payload: Any) -> bool:
        for item in self.items:  # noqa: SIM110
            if not item.holds(payload):
                return False
        return True


class _Any(_Group):
    __slots__ = ()

    def holds(self, payload: Any) -> bool:
        for item in self.items:  # noqa: SIM110
            if item.holds(payload):
                return True
        return False


class Condition:
    """Validated, pre-parsed rules; build with `compile(rules)` and reuse for every payload."""

    __slots__ = ("_root", "_rules")

    def __init__(self, rules: Any, *, detach: bool = True) -> None:
        validate(rules)
        # Detached from the caller's dicts so later edits to them cannot change this condition;
        # a one-off evaluation of raw rules skips the copy.
        self._rules: dict[str, Any] = copy.deepcopy(rules) if detach else rules
        ((kind, items),) = self._rules.items()
        self._root = _group(kind, items, kind)

    @property
    def rules(self) -> dict[str, Any]:
        """A copy of the rules this condition was compiled from."""
        return copy.deepcopy(self._rules)

    def evaluate(self, payload: Any) -> bool:
        """True when the rules hold for `payload`; never raises."""
        return self._root.holds(payload)

    def explain(self, payload: Any) -> dict[str, Any]:
        """The whole evaluated tree, with `valid` the overall result; never raises."""
        tree = self._root.explain(payload)
        return {"valid": tree["result"], **tree}

    def __repr__(self) -> str:
        return f"Condition({self._rules!r})"


def compile_rules(rules: Any) -> Condition:
    """Validate `rules` (raising `InvalidConditions`) and pre-parse them into a `Condition`."""
    return rules if isinstance(rules, Condition) else Condition(rules)


def _group(kind: str, items: list[Any], path: str) -> _Group:
    nodes: list[_Rule | _Group] = []
    for index, item in enumerate(items):
        item_path = f"{path}[{index}]"
        sub = next((k for k in GROUPS if k in item), None)
        if sub is not None:
            nodes.append(_group(sub, item[sub], f"{item_path}.{sub}"))
        else:
            nodes.append(_rule(item, item_path))
    return (_All if kind == "all" else _Any)(kind, path, tuple(nodes))


def _rule(rule: dict[str, Any], path: str) -> _Rule:
    op = lookup(rule["operator"])
    if op is None:  # validate() has already refused this; kept for type narrowing
        raise InvalidConditions([{"path": path, "problem": "unknown operator"}])
    if op.unary:
        return _UnaryRule(rule, path, op, None)
    expected = rule["value"]
    if op.prepare is not None:
        try:
            expected = op.prepare(expected)
        except Exception as exc:  # a plugin's prepare refusing its value is a bad rule
            problem = f"operator {rule['operator']!r} cannot use value {expected!r}: {exc}"
            raise InvalidConditions([{"path": path, "problem": problem}]) from exc
    return _BinaryRule(rule, path, op, expected)
