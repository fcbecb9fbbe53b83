"""Conditions: the rules that decide whether a follow-up task in a chain runs.

Rules are `{"all": [...]}` or `{"any": [...]}`, nested freely, whose leaves are
`{"fact": "results.code", "operator": "equal", "value": 200}`. Facts are dotted paths into the
payload (`items.0.id` indexes a list). Every rule is strictly true or false: a missing fact makes
every rule false except `nil` and `empty`; mismatched kinds compare false (`"5" greater_than 3`,
`1 equal True`); `1 equal 1.0` is true. `validate` refuses bad rules up front, naming each one by
path; `compile` pre-parses rules once for repeated evaluation. Operators beyond the built-ins come
from the `legion.operators` entry-point group; see `legion.core.conditions.registry`.
"""

from legion.core.conditions.compiled import Condition
from legion.core.conditions.compiled import compile_rules as compile
from legion.core.conditions.evaluate import evaluate, explain
from legion.core.conditions.operators import BUILTINS, Operator
from legion.core.conditions.registry import GROUP, clear_cache, operator_names
from legion.core.conditions.validate import InvalidConditions, problems, validate

__all__ = [
    "BUILTINS",
    "GROUP",
    "Condition",
    "InvalidConditions",
    "Operator",
    "clear_cache",
    "compile",
    "evaluate",
    "explain",
    "operator_names",
    "problems",
    "validate",
]
