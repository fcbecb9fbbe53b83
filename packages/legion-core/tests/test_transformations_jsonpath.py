"""JSONPath transformations: selecting objects, fanning out lists, and naming what is missing."""

from typing import Any

import pytest

from legion.core.transformations import TransformationError, compile_transformation


def context() -> dict[str, Any]:
    return {
        "results": {
            "status": 200,
            "body": {"url": "http://x", "n": 1},
            "items": [{"id": 1, "ok": True}, {"id": 2, "ok": False}, {"id": 3, "ok": True}],
            "numbers": [1, 2],
            "empty": [],
        },
        "args": {"url": "http://in"},
        "task": {"id": 5, "function": "f", "master_id": None, "chain": None},
        "payload": {},
    }


def select(expression: str, **kwargs: Any) -> Any:
    return compile_transformation(expression, "jsonpath").render(context(), **kwargs)


def test_object_selection() -> None:
    assert select("$.results.body") == {"url": "http://x", "n": 1}
    assert select("$.args") == {"url": "http://in"}
    assert select("results.body") == {"url": "http://x", "n": 1}


def test_the_selection_is_a_copy() -> None:
    ctx = context()
    out = compile_transformation("$.results.body", "jsonpath").render(ctx)
    assert isinstance(out, dict)
    out["n"] = 99
    assert ctx["results"]["body"]["n"] == 1


@pytest.mark.parametrize(
    ("expression", "expected_ids"),
    [
        ("$.results.items", [1, 2, 3]),
        ("$.results.items[*]", [1, 2, 3]),
        ("$.results.items[0:2]", [1, 2]),
        ("$.results.items[?(@.ok == true)]", [1, 3]),
    ],
)
def test_lists_of_objects_fan_out(expression: str, expected_ids: list[int]) -> None:
    out = select(expression)
    assert isinstance(out, list)
    assert [item["id"] for item in out] == expected_ids


def test_a_single_match_of_a_filter_is_one_object() -> None:
    assert select("$.results.items[?(@.id == 2)]") == {"id": 2, "ok": False}


def test_an_empty_list_selected_as_a_whole_is_an_empty_fan_out() -> None:
    assert select("$.results.empty") == []


@pytest.mark.parametrize(
    ("expression", "match"),
    [
        ("$.results.itmes", "$.results has no key 'itmes' (did you mean 'items'?)"),
        ("$.result.body", "$ has no key 'result' (did you mean 'results'?)"),
        ("$.results.status.code", "$.results.status is a number (200)"),
        ("$.results.empty[*]", "the jsonpath $.results.empty[*] matched nothing"),
        ("$.results.items[?(@.id > 10)]", "matched nothing"),
    ],
)
def test_no_match_names_the_expression(expression: str, match: str) -> None:
    with pytest.raises(TransformationError) as info:
        select(expression)
    assert match in info.value.message
    assert expression in info.value.message


@pytest.mark.parametrize(
    ("expression", "named"),
    [
        ("$.results.status", "a number (200)"),
        ("$.args.url", "a string ('http://in')"),
        ("$.results.numbers", "item 0 is a number (1)"),
        ("$.results.items[*].id", "item 0 is a number (1)"),
        ("$.task.master_id", "null"),
    ],
)
def test_selections_that_are_not_objects_are_named(expression: str, named: str) -> None:
    with pytest.raises(TransformationError) as info:
        select(expression)
    assert named in info.value.message


@pytest.mark.parametrize("expression", ["$.results[", "$.results.items[?(@.x >)]", "$$", "$.a b"])
def test_parse_errors_are_raised_at_compile(expression: str) -> None:
    with pytest.raises(TransformationError, match="jsonpath syntax error") as info:
        compile_transformation(expression, "jsonpath")
    assert expression in info.value.message


def test_size_limit() -> None:
    with pytest.raises(TransformationError, match="limit of 50 bytes"):
        select("$.results", max_bytes=50)


def test_plain_paths_agree_with_jsonpath_ng() -> None:
    # plain dotted paths take a fast path; the general one must give the same answers
    from jsonpath_ng.ext.parser import parse

    ctx = context()
    for expression in ("$.results.body", "$.args", "$.results.items"):
        fast = compile_transformation(expression, "jsonpath").render(ctx)
        (match,) = parse(expression).find(ctx)
        assert fast == match.value


def test_non_json_values_are_encoded_or_refused() -> None:
    import datetime as dt

    ctx = context()
    ctx["results"]["when"] = {"at": dt.date(2024, 1, 2)}
    ctx["results"]["odd"] = {"x": object()}
    assert compile_transformation("$.results.when", "jsonpath").render(ctx) == {"at": "2024-01-02"}
    with pytest.raises(TransformationError, match="type object cannot be encoded"):
        compile_transformation("$.results.odd", "jsonpath").render(ctx)
