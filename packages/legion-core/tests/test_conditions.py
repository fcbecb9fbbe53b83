"""Condition trees: facts, nesting, short-circuit, explain, validation and compiled conditions."""

import copy
from typing import Any

import pytest

from legion.core.conditions import (
    Condition,
    InvalidConditions,
    compile,
    evaluate,
    explain,
    problems,
    validate,
)
from legion.core.errors import UsageError

PAYLOAD: dict[str, Any] = {
    "results": {"code": 200, "body": "ok: done", "items": [{"id": 7}, {"id": 8, "tags": ["a"]}]},
    "codes": {"404": "not found", "0": "zero"},
    "matrix": [[1, 2], [3, 4]],
    "flag": False,
    "nothing": None,
}


def rule(fact: str, operator: str, *value: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"fact": fact, "operator": operator}
    if value:
        body["value"] = value[0]
    return body


def holds(*rules: dict[str, Any]) -> bool:
    return evaluate({"all": list(rules)}, PAYLOAD)


# -- facts -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fact", "expected"),
    [
        ("results.code", 200),
        ("results.items.0.id", 7),
        ("results.items.1.tags.0", "a"),
        ("codes.404", "not found"),
        ("codes.0", "zero"),
        ("matrix.1.0", 3),
        ("flag", False),
    ],
)
def test_facts_resolve_dotted_paths_and_list_indexes(fact: str, expected: Any) -> None:
    assert holds(rule(fact, "equal", expected))
    found = explain({"all": [rule(fact, "not_nil")]}, PAYLOAD)["rules"][0]
    assert found["found"] is True and found["actual"] == expected


@pytest.mark.parametrize(
    "fact",
    ["results.missing", "results.items.2.id", "results.items.x", "results.code.0", "codes.404.x",
     "results.body.0", "flag.x", "nothing.x", "results.items.00000000000000000009"],
)  # fmt: skip
def test_absent_facts_are_missing_not_errors(fact: str) -> None:
    entry = explain({"all": [rule(fact, "nil")]}, PAYLOAD)["rules"][0]
    assert entry == {
        "path": "all[0]",
        "fact": fact,
        "operator": "nil",
        "expected": None,
        "actual": None,
        "found": False,
        "result": True,
    }
    assert not holds(rule(fact, "not_nil"))


def test_null_is_found_and_distinct_from_missing() -> None:
    entry = explain({"all": [rule("nothing", "nil")]}, PAYLOAD)["rules"][0]
    assert entry["found"] is True and entry["actual"] is None and entry["result"] is True


def test_top_level_list_payload_and_scalar_payload() -> None:
    assert evaluate({"all": [rule("1.name", "equal", "b")]}, [{"name": "a"}, {"name": "b"}])
    assert not evaluate({"all": [rule("a", "not_nil")]}, "just a string")
    assert evaluate({"any": [rule("a", "empty")]}, None)


# -- groups ------------------------------------------------------------------------------------


def test_all_and_any() -> None:
    yes, no = rule("results.code", "equal", 200), rule("results.code", "equal", 500)
    assert evaluate({"all": [yes, yes]}, PAYLOAD) is True
    assert evaluate({"all": [yes, no]}, PAYLOAD) is False
    assert evaluate({"any": [no, yes]}, PAYLOAD) is True
    assert evaluate({"any": [no, no]}, PAYLOAD) is False


def test_nesting() -> None:
    rules = {
        "all": [
            rule("results.code", "between", [200, 299]),
            {
                "any": [
                    rule("results.body", "matches", "^error"),
                    {"all": [rule("flag", "is_false"), rule("results.items", "size_equal", 2)]},
                ]
            },
        ]
    }
    assert evaluate(rules, PAYLOAD) is True
    assert evaluate(rules, {**PAYLOAD, "flag": True}) is False
    assert evaluate(rules, {**PAYLOAD, "flag": True, "results": {"code": 201, "body": "error"}})


def test_evaluate_short_circuits_but_explain_evaluates_everything() -> None:
    rules = {
        "all": [
            rule("results.code", "equal", 500),
            {"any": [rule("results.code", "equal", 200), rule("flag", "is_true")]},
        ]
    }
    report = explain(rules, PAYLOAD)
    assert report["valid"] is False
    inner = report["rules"][1]
    assert inner["result"] is True
    assert [entry["result"] for entry in inner["rules"]] == [True, False]


def test_explain_shape() -> None:
    rules = {
        "all": [
            rule("results.code", "equal", 200),
            {"any": [rule("results.nope", "greater_than", 1), rule("flag", "is_false")]},
        ]
    }
    assert explain(rules, PAYLOAD) == {
        "valid": True,
        "group": "all",
        "path": "all",
        "result": True,
        "rules": [
            {
                "path": "all[0]",
                "fact": "results.code",
                "operator": "equal",
                "expected": 200,
                "actual": 200,
                "found": True,
                "result": True,
            },
            {
                "group": "any",
                "path": "all[1].any",
                "result": True,
                "rules": [
                    {
                        "path": "all[1].any[0]",
                        "fact": "results.nope",
                        "operator": "greater_than",
                        "expected": 1,
                        "actual": None,
                        "found": False,
                        "result": False,
                    },
                    {
                        "path": "all[1].any[1]",
                        "fact": "flag",
                        "operator": "is_false",
                        "expected": None,
                        "actual": False,
                        "found": True,
                        "result": True,
                    },
                ],
            },
        ],
    }


def test_explain_reports_the_rule_value_as_written() -> None:
    report = explain({"all": [rule("results.body", "matches", "^ok")]}, PAYLOAD)
    assert report["rules"][0]["expected"] == "^ok"
    report = explain({"all": [rule("results.code", "in_set", [200, 201])]}, PAYLOAD)
    assert report["rules"][0]["expected"] == [200, 201]


# -- validation --------------------------------------------------------------------------------


def details(rules: Any) -> list[tuple[str, str]]:
    with pytest.raises(InvalidConditions) as caught:
        validate(rules)
    assert isinstance(caught.value, UsageError)
    assert caught.value.details == problems(rules)
    return [(d["path"], d["problem"]) for d in caught.value.details]


def test_valid_rules_pass() -> None:
    validate({"all": [rule("a", "equal", 1), {"any": [rule("b", "nil"), rule("c", "is_true")]}]})
    assert problems({"any": [rule("a.0.b", "between", [1, 2])]}) == []


def test_unknown_operator_names_its_path_and_a_suggestion() -> None:
    rules = {
        "all": [
            rule("a", "equal", 1),
            rule("b", "equal", 2),
            {"any": [rule("c", "equals", 3), rule("d", "frobnicate", 4)]},
        ]
    }
    assert details(rules) == [
        ("all[2].any[0]", "unknown operator 'equals' (did you mean 'equal'?)"),
        ("all[2].any[1]", "unknown operator 'frobnicate'"),
    ]
    with pytest.raises(InvalidConditions) as caught:
        validate(rules)
    assert "all[2].any[0]: unknown operator 'equals' (did you mean 'equal'?)" in str(caught.value)
    assert caught.value.code == "validation_failed"


@pytest.mark.parametrize(
    ("bad_rule", "problem"),
    [
        ({"operator": "equal", "value": 1}, "missing 'fact'"),
        ({"fact": "a", "value": 1}, "missing 'operator'"),
        ({"fact": 3, "operator": "nil"}, "'fact' must be a string, got integer"),
        ({"fact": "", "operator": "nil"}, "'fact' is empty"),
        ({"fact": "a..b", "operator": "nil"}, "fact 'a..b' has an empty segment"),
        ({"fact": "a", "operator": None}, "'operator' must be a string, got null"),
        ({"fact": "a", "operator": "equal"}, "operator 'equal' needs a value"),
        ({"fact": "a", "operator": "nil", "value": None}, "operator 'nil' takes no value"),
        (
            {"fact": "a", "operator": "equal", "value": 1, "values": 2},
            "unexpected key(s) 'values'; a rule has 'fact', 'operator' and 'value'",
        ),
        (
            {"fact": "a", "operator": "between", "value": 3},
            "operator 'between' needs a two-item [min, max] list, got integer",
        ),
        (
            {"fact": "a", "operator": "between", "value": [1, 2, 3]},
            "operator 'between' needs a two-item [min, max] list, got array",
        ),
        (
            {"fact": "a", "operator": "between", "value": [1, "z"]},
            "operator 'between' needs [min, max] both numbers or both strings, got integer and "
            "string",
        ),
        (
            {"fact": "a", "operator": "between", "value": [5, 1]},
            "operator 'between' needs min <= max, got [5, 1]",
        ),
        (
            {"fact": "a", "operator": "in_set", "value": "ok"},
            "operator 'in_set' needs a list value, got string",
        ),
        (
            {"fact": "a", "operator": "not_in_set", "value": {"ok": 1}},
            "operator 'not_in_set' needs a list value, got object",
        ),
        (
            {"fact": "a", "operator": "size_equal", "value": "3"},
            "operator 'size_equal' needs an integer value, got string",
        ),
        (
            {"fact": "a", "operator": "size_equal", "value": True},
            "operator 'size_equal' needs an integer value, got boolean",
        ),
        (
            {"fact": "a", "operator": "greater_than", "value": [1]},
            "operator 'greater_than' compares against a number or a string, got array",
        ),
        (
            {"fact": "a", "operator": "less_than", "value": False},
            "operator 'less_than' compares against a number or a string, got boolean",
        ),
        (
            {"fact": "a", "operator": "starts_with", "value": 1},
            "operator 'starts_with' needs a string value, got integer",
        ),
        (
            {"fact": "a", "operator": "matches", "value": 1},
            "operator 'matches' needs a regex string, got integer",
        ),
    ],
)
def test_malformed_rules(bad_rule: dict[str, Any], problem: str) -> None:
    assert details({"any": [rule("ok", "nil"), bad_rule]}) == [("any[1]", problem)]


def test_regex_that_does_not_compile() -> None:
    [(path, problem)] = details({"all": [rule("a", "matches", "(unclosed")]})
    assert path == "all[0]"
    assert problem.startswith("operator 'matches' has a regex that does not compile: ")


@pytest.mark.parametrize(
    ("rules", "found"),
    [
        ({"all": []}, [("all", "empty 'all' group")]),
        ({"all": [{"any": []}]}, [("all[0].any", "empty 'any' group")]),
        ({"all": "x"}, [("all", "'all' needs a list, got string")]),
        ({"all": [5]}, [("all[0]", "expected a rule or a group, got integer")]),
        (
            {"all": [{"all": [rule("a", "nil")], "any": [rule("a", "nil")]}]},
            [("all[0]", "a group has exactly one key, 'all' or 'any'; got 'all', 'any'")],
        ),
        (
            {"all": [{"any": [rule("a", "nil")], "note": "x"}]},
            [("all[0]", "a group has exactly one key, 'all' or 'any'; got 'any', 'note'")],
        ),
        (
            {"all": [{"any": [rule("a", "nill")], "note": "x"}]},
            [
                ("all[0]", "a group has exactly one key, 'all' or 'any'; got 'any', 'note'"),
                ("all[0].any[0]", "unknown operator 'nill' (did you mean 'nil'?)"),
            ],
        ),
    ],
)
def test_malformed_groups(rules: Any, found: list[tuple[str, str]]) -> None:
    assert details(rules) == found


@pytest.mark.parametrize(
    "rules",
    [
        None,
        [],
        [rule("a", "nil")],
        "all",
        {},
        rule("a", "nil"),
        {"all": [rule("a", "nil")], "any": [rule("a", "nil")]},
        {"none": [rule("a", "nil")]},
    ],
)
def test_top_level_must_be_one_group(rules: Any) -> None:
    assert details(rules) == [
        ("", 'the top level must be a single {"all": [...]} or {"any": [...]} object')
    ]


def test_every_problem_is_reported_at_once() -> None:
    rules = {"all": [rule("a", "equals", 1), {"fact": "b"}, rule("c", "between", [1])]}
    assert [path for path, _ in details(rules)] == ["all[0]", "all[1]", "all[2]"]


def test_invalid_raw_rules_raise_from_evaluate_and_explain() -> None:
    with pytest.raises(InvalidConditions):
        evaluate({"all": [rule("a", "equals", 1)]}, {})
    with pytest.raises(InvalidConditions):
        explain({"all": []}, {})
    with pytest.raises(InvalidConditions):
        compile({"any": [{"fact": "a"}]})


def test_error_envelope() -> None:
    with pytest.raises(InvalidConditions) as caught:
        validate({"all": [rule("a", "equals", 1)]})
    body = caught.value.to_dict()
    assert body["code"] == "validation_failed"
    assert body["details"] == [
        {"path": "all[0]", "problem": "unknown operator 'equals' (did you mean 'equal'?)"}
    ]
    assert "hint" in body


# -- compiled conditions -----------------------------------------------------------------------


def test_compiled_condition_is_reusable_and_detached_from_its_source() -> None:
    source = {"all": [rule("results.code", "in_set", [200, 201])]}
    condition = compile(source)
    assert isinstance(condition, Condition)
    assert compile(condition) is condition
    source["all"][0]["value"].append(500)
    source["all"].append(rule("x", "nil"))
    assert condition.rules == {"all": [rule("results.code", "in_set", [200, 201])]}
    assert condition.evaluate(PAYLOAD) is evaluate(condition, PAYLOAD) is True
    assert not condition.evaluate({"results": {"code": 500}})
    assert condition.explain(PAYLOAD) == explain(condition, PAYLOAD)
    assert explain(condition, PAYLOAD)["rules"][0]["expected"] == [200, 201]
    assert "in_set" in repr(condition)


def test_rules_property_is_a_copy() -> None:
    condition = compile({"all": [rule("a", "equal", [1])]})
    copied = condition.rules
    copied["all"][0]["value"].append(2)
    assert condition.rules == {"all": [rule("a", "equal", [1])]}
    assert copy.deepcopy(condition.rules) == condition.rules


def test_explain_does_not_copy_payload_values() -> None:
    payload = {"big": list(range(1000))}
    report = explain({"all": [rule("big", "not_empty")]}, payload)
    assert report["rules"][0]["actual"] is payload["big"]


def test_nesting_depth_is_bounded() -> None:
    deep: dict[str, Any] = {"all": [rule("a", "nil")]}
    for _ in range(31):
        deep = {"all": [deep]}
    assert evaluate(deep, {}) is True
    too_deep = {"any": [deep]}
    [(path, problem)] = details(too_deep)
    assert problem == "groups nested deeper than 32 levels"
    assert path == "any[0]" + ".all[0]" * 31 + ".all"


def test_huge_nesting_is_a_validation_error_not_a_crash() -> None:
    deep: dict[str, Any] = {"all": [rule("a", "nil")]}
    for _ in range(5000):
        deep = {"any": [deep]}
    with pytest.raises(InvalidConditions, match="nested deeper than 32 levels"):
        evaluate(deep, {})


def test_editing_an_explain_report_cannot_change_the_condition() -> None:
    condition = compile({"all": [rule("tags", "equal", ["a"])]})
    report = condition.explain({"tags": ["a"]})
    report["rules"][0]["expected"].append("b")
    assert condition.evaluate({"tags": ["a"]}) is True
