"""Jinja transformations: variables, JSON output, shapes and the errors users see."""

import pickle
from dataclasses import FrozenInstanceError
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from legion.core.errors import UsageError
from legion.core.transformations import (
    ENGINES,
    Transformation,
    TransformationError,
    compile_transformation,
)


def context(**results: Any) -> dict[str, Any]:
    return {
        "results": results,
        "args": {"url": "http://in", "n": 2},
        "task": {"id": 41, "function": "http.get", "master_id": 40, "chain": 7},
        "payload": {"source": "cron", "tags": ["a", "b"]},
    }


def render(text: str, ctx: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    return compile_transformation(text).render(ctx or context(), **kwargs)


def test_engines_and_default() -> None:
    assert ENGINES == ("jinja", "jsonpath")
    transformation = compile_transformation('{"a": 1}')
    assert isinstance(transformation, Transformation)
    assert (transformation.engine, transformation.text) == ("jinja", '{"a": 1}')


def test_every_variable_renders() -> None:
    out = render(
        '{"r": {{ results.url | tojson }}, "a": {{ args.n }}, "id": {{ task.id }},'
        ' "fn": {{ task.function | tojson }}, "master": {{ task.master_id }},'
        ' "chain": {{ task.chain }}, "src": {{ payload.source | tojson }}}',
        context(url="http://out"),
    )
    assert out == {
        "r": "http://out",
        "a": 2,
        "id": 41,
        "fn": "http.get",
        "master": 40,
        "chain": 7,
        "src": "cron",
    }


def test_typical_template_with_length_of_a_key_named_items() -> None:
    # `results.items` is the key, not dict.items: JSON data wins over dict methods
    out = render(
        '{"url": {{ results.url | tojson }}, "count": {{ results.items | length }}}',
        context(url="u", items=[1, 2, 3]),
    )
    assert out == {"url": "u", "count": 3}


def test_whole_object_from_tojson() -> None:
    out = render('{{ {"x": results.a, "y": args.url} | tojson }}', context(a=[1, {"b": None}]))
    assert out == {"x": [1, {"b": None}], "y": "http://in"}


def test_non_strings_render_as_json_without_tojson() -> None:
    out = render(
        '{"ok": {{ results.ok }}, "none": {{ results.none }}, "obj": {{ results.obj }},'
        ' "f": {{ results.f }}, "s": "{{ results.s }}"}',
        context(ok=True, none=None, obj={"k": [1, False]}, f=1.5, s="plain"),
    )
    assert out == {"ok": True, "none": None, "obj": {"k": [1, False]}, "f": 1.5, "s": "plain"}


def test_defaults_and_defined_tests_still_work_with_strict_undefined() -> None:
    out = render(
        '{"a": {{ results.missing | default("d") | tojson }},'
        ' "b": {{ (results.missing is defined) | tojson }}}'
    )
    assert out == {"a": "d", "b": False}


TRICKY = [
    'say "hi"',
    "back\\slash",
    "line\nbreak\r\ttab",
    "</script><script>alert('x')</script>",
    "& < > ' \"",
    "unicode: é ß 中文 🎉 \u2028\u2029",
    "\x00\x1f control",
    "",
    "{{ not a template }}",
]


@pytest.mark.parametrize("value", TRICKY)
def test_tojson_round_trips_tricky_strings(value: str) -> None:
    out = render(
        '{"s": {{ results.s | tojson }}, "l": {{ [results.s] | tojson }}}', context(s=value)
    )
    assert out == {"s": value, "l": [value]}


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None)
@given(json_values)
def test_any_json_value_round_trips(value: Any) -> None:
    ctx = context(v=value)
    assert render('{"v": {{ results.v | tojson }}}', ctx) == {"v": value}
    if not isinstance(value, str):
        assert render('{"v": {{ results.v }}}', ctx) == {"v": value}


def test_list_of_objects_is_a_fan_out() -> None:
    out = render("{{ results.items | tojson }}", context(items=[{"a": 1}, {"a": 2}]))
    assert out == [{"a": 1}, {"a": 2}]
    out = render(
        '[{% for i in results.items %}{"n": {{ i }}}{{ "," if not loop.last }}{% endfor %}]',
        context(items=[1, 2, 3]),
    )
    assert out == [{"n": 1}, {"n": 2}, {"n": 3}]
    assert render("[]") == []


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("42", "a number (42)"),
        ('"text"', "a string ('text')"),
        ("true", "a boolean (true)"),
        ("null", "null"),
        ("[1, 2]", "item 0 is a number (1)"),
        ('[{"a": 1}, "x"]', "item 1 is a string ('x')"),
        ("[[{}]]", "item 0 is a list of 1 items"),
    ],
)
def test_outputs_that_are_not_objects_are_named(text: str, named: str) -> None:
    with pytest.raises(TransformationError) as info:
        render(text)
    assert named in info.value.message


def test_invalid_json_shows_the_start_of_the_output_and_the_position() -> None:
    with pytest.raises(TransformationError) as info:
        render('{\n"url": {{ results.url }}\n}', context(url="http://x" + "y" * 300))
    message = info.value.message
    assert "line 2 column 8" in message
    assert '\'{\\n"url": http://xyyy' in message
    assert "y" * 200 not in message  # the preview stops at 200 characters
    assert info.value.hint is not None and "tojson" in info.value.hint


def test_empty_output_and_non_strict_json_are_errors() -> None:
    with pytest.raises(TransformationError, match="rendered nothing"):
        render("{% if false %}{}{% endif %}")
    with pytest.raises(TransformationError, match="NaN is not valid JSON"):
        render('{"x": NaN}')
    with pytest.raises(TransformationError, match="Out of range float"):
        render('{"x": {{ results.f | tojson }}}', context(f=float("nan")))


def test_undefined_key_is_named_with_a_suggestion_and_the_line() -> None:
    with pytest.raises(TransformationError) as info:
        render('{\n"url": {{ results.uri | tojson }}\n}', context(url="u"))
    error = info.value
    assert "key 'uri' is undefined (did you mean 'url'?)" in error.message
    assert error.line == 2 and "line 2" in error.message
    assert "results.uri" in error.message  # the offending source line is quoted


def test_undefined_variable_is_named_with_the_variables_available() -> None:
    with pytest.raises(TransformationError) as info:
        render('{"u": {{ result.url | tojson }}}')
    assert "variable 'result' is undefined (did you mean 'results'?)" in info.value.message
    assert info.value.hint == "the variables are args, payload, results, task"


def test_missing_index_and_attribute_of_a_scalar_are_named() -> None:
    with pytest.raises(TransformationError, match="index 5 is out of range for a list of 2"):
        render('{"x": {{ results.items[5] }}}', context(items=[1, 2]))
    with pytest.raises(TransformationError, match="a value of type int has no attribute 'y'"):
        render('{"x": {{ results.n.y }}}', context(n=1))


def test_runtime_python_errors_are_transformation_errors() -> None:
    with pytest.raises(TransformationError, match="ZeroDivisionError"):
        render('{"x": {{ 1 // results.n }}}', context(n=0))


def test_syntax_error_is_reported_at_compile_time_with_its_line() -> None:
    with pytest.raises(TransformationError) as info:
        compile_transformation('{\n  "a": {{ results.a }},\n  "b": {{ results.b | }}\n}')
    assert info.value.line == 3
    assert "syntax error at line 3" in info.value.message
    assert isinstance(info.value, UsageError)
    with pytest.raises(TransformationError, match="line 2"):
        compile_transformation("{% for x in results %}\n{% endif %}")


@pytest.mark.parametrize(
    ("text", "engine", "match"),
    [
        ("{}", "liquid", "unknown transformation engine 'liquid'"),
        ("", "jinja", "empty"),
        ("   \n", "jsonpath", "empty"),
    ],
)
def test_compile_refusals(text: str, engine: str, match: str) -> None:
    with pytest.raises(TransformationError, match=match):
        compile_transformation(text, engine)


def test_compiled_transformations_are_immutable_cached_and_picklable() -> None:
    first = compile_transformation('{"a": {{ args.n }}}')
    assert compile_transformation('{"a": {{ args.n }}}') is first
    with pytest.raises((FrozenInstanceError, AttributeError)):
        first.text = "{}"  # type: ignore[misc]
    copy = pickle.loads(pickle.dumps(first))
    assert copy == first and hash(copy) == hash(first)
    assert copy.render(context()) == {"a": 2}
    assert compile_transformation("$.args", "jsonpath") != compile_transformation("$.args")


def test_output_size_limit() -> None:
    big = context(s="x" * 2000)
    assert render('{"s": {{ results.s | tojson }}}', big, max_bytes=3000) == {"s": "x" * 2000}
    with pytest.raises(TransformationError, match="limit of 1000 bytes") as info:
        render('{"s": {{ results.s | tojson }}}', big, max_bytes=1000)
    assert "x" * 100 not in info.value.message
    # a loop that renders piece by piece is stopped as it grows
    with pytest.raises(TransformationError, match="limit of 1000 bytes"):
        render('{"s": "{% for i in range(100000) %}xx{% endfor %}"}', max_bytes=1000)
    # bytes, not characters: 60 two-byte characters are 120 bytes
    with pytest.raises(TransformationError, match="limit of 100 bytes"):
        render('{"s": "{{ results.s }}"}', context(s="é" * 60), max_bytes=100)
    with pytest.raises(ValueError, match="max_bytes"):
        render("{}", max_bytes=0)


def test_the_default_limit_is_one_mebibyte() -> None:
    text = '{"s": {{ results.s | tojson }}}'
    assert render(text, context(s="x" * ((1 << 20) - 20)))["s"].startswith("x")
    with pytest.raises(TransformationError, match="1048576"):
        render(text, context(s="x" * (1 << 20)))


def test_pathologically_nested_template_is_refused_at_compile() -> None:
    with pytest.raises(TransformationError, match="nested too deeply"):
        compile_transformation("{{ " + "(" * 5000 + "1" + ")" * 5000 + " }}")


def test_size_error_without_a_line_reads_well() -> None:
    with pytest.raises(TransformationError) as info:
        render('{"s": {{ results.s | tojson }}}', context(s="x" * 200), max_bytes=100)
    assert info.value.message.startswith("rendering failed: the template went over")
    assert info.value.line is None
