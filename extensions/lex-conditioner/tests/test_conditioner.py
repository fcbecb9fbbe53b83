from typing import Any

import pytest

from legion.core.conditions import InvalidConditions
from legion.core.errors import ValidationFailed
from legion.core.registry import Capability, CapabilityRegistry
from legion.extensions.conditioner import extension

OK_200 = {"all": [{"fact": "results.code", "operator": "equal", "value": 200}]}
NESTED = {
    "any": [
        {"fact": "results.code", "operator": "greater_or_equal", "value": 500},
        {
            "all": [
                {"fact": "results.items.0.id", "operator": "equal", "value": "a"},
                {"fact": "payload.env", "operator": "in_set", "value": ["prod", "staging"]},
            ]
        },
    ]
}


@pytest.fixture
def registry() -> CapabilityRegistry:
    registry = CapabilityRegistry()
    registry.add(extension)
    return registry


def cap(registry: CapabilityRegistry, name: str) -> Capability:
    return registry.get(f"conditioner.rules.{name}")


def invoke(registry: CapabilityRegistry, name: str, **args: Any) -> Any:
    return cap(registry, name).invoke(args)


def test_evaluate_returns_whether_the_rules_hold(registry: CapabilityRegistry) -> None:
    assert invoke(registry, "evaluate", rules=OK_200, payload={"results": {"code": 200}}) is True
    assert invoke(registry, "evaluate", rules=OK_200, payload={"results": {"code": 404}}) is False
    assert invoke(registry, "evaluate", rules=OK_200, payload={}) is False


def test_evaluate_walks_nested_groups_and_list_indexes(registry: CapabilityRegistry) -> None:
    payload = {"results": {"code": 200, "items": [{"id": "a"}]}, "payload": {"env": "prod"}}
    assert invoke(registry, "evaluate", rules=NESTED, payload=payload) is True
    payload["payload"] = {"env": "dev"}
    assert invoke(registry, "evaluate", rules=NESTED, payload=payload) is False


def test_evaluate_refuses_invalid_rules_with_every_problem(registry: CapabilityRegistry) -> None:
    bad = {"all": [{"fact": "a", "operator": "nope"}, {"fact": "b", "operator": "equal"}]}
    with pytest.raises(InvalidConditions) as info:
        invoke(registry, "evaluate", rules=bad, payload={})
    assert [d["path"] for d in info.value.details] == ["all[0]", "all[1]"]


def test_explain_reports_each_rule_and_the_verdict(registry: CapabilityRegistry) -> None:
    out = invoke(registry, "explain", rules=OK_200, payload={"results": {"code": 404}})
    assert out["valid"] is False and out["group"] == "all"
    (rule,) = out["rules"]
    assert rule["fact"] == "results.code" and rule["actual"] == 404
    assert rule["expected"] == 200 and rule["result"] is False


def test_validate_returns_the_verdict_instead_of_raising(registry: CapabilityRegistry) -> None:
    assert invoke(registry, "validate", rules=NESTED) == {"valid": True, "problems": []}
    out = invoke(registry, "validate", rules={"all": [{"fact": "a", "operator": "nope"}]})
    assert out["valid"] is False
    assert out["problems"] == [{"path": "all[0]", "problem": "unknown operator 'nope'"}]
    assert "nope" in out["message"]
    shape = invoke(registry, "validate", rules={"every": []})
    assert shape["valid"] is False and shape["problems"][0]["path"] == ""


def test_operators_lists_the_built_ins(registry: CapabilityRegistry) -> None:
    names = invoke(registry, "operators")
    assert {"equal", "in_set", "matches", "nil", "between"} <= set(names)
    assert names == sorted(names)


def test_schemas_take_json_objects(registry: CapabilityRegistry) -> None:
    schema = cap(registry, "evaluate").input_schema
    assert schema["required"] == ["rules", "payload"]
    assert schema["properties"]["rules"]["type"] == "object"
    with pytest.raises(ValidationFailed, match="rules"):
        invoke(registry, "evaluate", rules=[OK_200], payload={})
    assert cap(registry, "validate").input_schema["required"] == ["rules"]
    assert all(c.options.idempotent for c in registry.of_extension("conditioner"))
