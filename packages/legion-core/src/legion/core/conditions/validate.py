"""Structural checks for condition rules, so bad rules are refused when a chain is defined.

Every problem is reported with the path of the rule it concerns (`all[2].any[0]`), all at once,
rather than surfacing as a silently false condition at run time.
"""

from __future__ import annotations

from typing import Any

from legion.core.conditions import facts
from legion.core.conditions.registry import lookup, operator_names
from legion.core.conditions.values import kind_of
from legion.core.errors import ValidationFailed

GROUPS = ("all", "any")
RULE_KEYS = frozenset({"fact", "operator", "value"})
SHAPE = 'a single {"all": [...]} or {"any": [...]} object'
MAX_DEPTH = 32
"""Deepest nesting of groups accepted; far beyond any real chain, well within recursion limits."""


class InvalidConditions(ValidationFailed):
    """Condition rules that cannot be evaluated; `details` is a list of {path, problem}."""

    def __init__(self, details: list[dict[str, str]]) -> None:
        lines = [f"{d['path']}: {d['problem']}" if d["path"] else d["problem"] for d in details]
        super().__init__(
            "invalid conditions: " + "; ".join(lines),
            hint=(
                f"conditions are {SHAPE}, whose items are groups or rules "
                '{"fact": "a.b", "operator": "equal", "value": 1}'
            ),
            details=details,
        )


def problems(rules: Any) -> list[dict[str, str]]:
    """Every problem in `rules` as {path, problem}; empty when the rules are valid."""
    found: list[dict[str, str]] = []
    if not isinstance(rules, dict) or len(rules) != 1 or next(iter(rules)) not in GROUPS:
        found.append({"path": "", "problem": f"the top level must be {SHAPE}"})
        return found
    ((kind, items),) = rules.items()
    _group(kind, items, kind, 1, found)
    return found


def validate(rules: Any) -> None:
    """Raise `InvalidConditions` naming every bad rule by path; return None if all is well."""
    found = problems(rules)
    if found:
        raise InvalidConditions(found)


def _group(kind: str, items: Any, path: str, depth: int, found: list[dict[str, str]]) -> None:
    if depth > MAX_DEPTH:
        found.append({"path": path, "problem": f"groups nested deeper than {MAX_DEPTH} levels"})
        return
    if not isinstance(items, list | tuple):
        found.append({"path": path, "problem": f"'{kind}' needs a list, got {kind_of(items)}"})
        return
    if not items:
        found.append({"path": path, "problem": f"empty '{kind}' group"})
    for index, item in enumerate(items):
        _item(item, f"{path}[{index}]", depth, found)


def _item(item: Any, path: str, depth: int, found: list[dict[str, str]]) -> None:
    if not isinstance(item, dict):
        found.append({"path": path, "problem": f"expected a rule or a group, got {kind_of(item)}"})
        return
    kinds = [kind for kind in GROUPS if kind in item]
    if not kinds:
        _rule(item, path, found)
        return
    if len(item) != 1:
        keys = ", ".join(sorted(repr(key) for key in item))
        found.append(
            {"path": path, "problem": f"a group has exactly one key, 'all' or 'any'; got {keys}"}
        )
        if len(kinds) != 1:
            return
    kind = kinds[0]
    _group(kind, item[kind], f"{path}.{kind}", depth + 1, found)


def _rule(rule: dict[Any, Any], path: str, found: list[dict[str, str]]) -> None:
    def problem(text: str) -> None:
        found.append({"path": path, "problem": text})

    unexpected = [key for key in rule if key not in RULE_KEYS]
    if unexpected:
        keys = ", ".join(sorted(repr(key) for key in unexpected))
        problem(f"unexpected key(s) {keys}; a rule has 'fact', 'operator' and 'value'")
    if "fact" not in rule:
        problem("missing 'fact'")
    elif not isinstance(rule["fact"], str):
        problem(f"'fact' must be a string, got {kind_of(rule['fact'])}")
    elif (fact_problem := facts.path_problem(rule["fact"])) is not None:
        problem(fact_problem)
    if "operator" not in rule:
        problem("missing 'operator'")
        return
    name = rule["operator"]
    if not isinstance(name, str):
        problem(f"'operator' must be a string, got {kind_of(name)}")
        return
    op = lookup(name)
    if op is None:
        problem(f"unknown operator {name!r}{_suggestion(name)}")
    elif op.unary and "value" in rule:
        problem(f"operator {name!r} takes no value")
    elif not op.unary and "value" not in rule:
        problem(f"operator {name!r} needs a value")
    elif not op.unary and op.check is not None:
        try:
            complaint = op.check(rule["value"])
        except Exception as exc:  # a plugin's check is its own code; report, don't crash
            complaint = f"could not check its value: {type(exc).__name__}: {exc}"
        if complaint is not None:
            problem(f"operator {name!r} {complaint}")


def _suggestion(name: str) -> str:
    import difflib

    close = difflib.get_close_matches(name, operator_names(), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""
