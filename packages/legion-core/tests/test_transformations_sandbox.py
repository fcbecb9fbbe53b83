"""The sandbox: no internals, no files, no builtins, no mutation, and bounded cost per render."""

import time
from typing import Any

import pytest

from legion.core.transformations import MAX_RANGE, TransformationError, compile_transformation

SECRET = "s3cr3t-token"


def context() -> dict[str, Any]:
    return {
        "results": {"items": [1, 2], "token": SECRET},
        "args": {},
        "task": {"id": 1, "function": "f", "master_id": None, "chain": None},
        "payload": {"p": 1},
    }


def render(text: str, **kwargs: Any) -> Any:
    return compile_transformation(text).render(context(), **kwargs)


LEAKS = ("<class", "object at 0x", "__builtins__", "root:", "subprocess", "os.", "<function")

ESCAPES = [
    "{{ ''.__class__.__mro__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ results.__class__ }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ joiner.__init__.__globals__ }}",
    "{{ namespace.__init__.__globals__ }}",
    "{{ range.__globals__ }}",
    "{{ dict.__base__ }}",
    "{{ namespace.mro() }}",
    "{{ ().__class__.__base__.__subclasses__() }}",
    "{{ results | attr('__class__') }}",
    "{{ '{0.__class__}'.format(results) }}",
    "{{ self.__init__.__globals__ }}",
    "{{ results.items.__class__ }}",
    "{{ payload.keys.__self__ }}",
    "{{ (lambda: 0) }}",
]


@pytest.mark.parametrize("text", ESCAPES)
def test_internals_are_out_of_reach(text: str) -> None:
    with pytest.raises(TransformationError) as info:
        render(text)
    message = info.value.message
    assert not any(leak in message for leak in LEAKS), message
    assert SECRET not in message


def test_forbidden_access_is_named() -> None:
    with pytest.raises(TransformationError) as info:
        render("{{ ''.__class__.__mro__ }}")
    assert "tried to access '__class__' (on a value of type str), which the sandbox forbids" in str(
        info.value
    )


@pytest.mark.parametrize(
    ("text", "tag"),
    [
        ("{% include '/etc/passwd' %}", "include"),
        ("{% import 'x' as y %}", "import"),
        ("{% from 'x' import y %}", "from ... import"),
        ("{% extends 'http://example.com/base' %}", "extends"),
        ("{}\n{% if results %}{% include results.path %}{% endif %}", "include"),
    ],
)
def test_templates_cannot_load_anything_and_are_refused_at_compile(text: str, tag: str) -> None:
    with pytest.raises(TransformationError) as info:
        compile_transformation(text)
    assert f"`{{% {tag} %}}` is not available" in info.value.message
    assert "root:" not in info.value.message


@pytest.mark.parametrize(
    "name", ["open", "__import__", "__builtins__", "lipsum", "config", "eval", "getattr", "os"]
)
def test_no_python_builtins(name: str) -> None:
    with pytest.raises(TransformationError, match=f"variable '{name}' is undefined"):
        render(f"{{{{ {name} }}}}")


@pytest.mark.parametrize(
    "text",
    [
        "{{ results.items.append(3) }}",
        "{{ results.update({'token': 'x'}) }}",
        "{{ payload.pop('p') }}",
        "{{ payload.setdefault('q', 1) }}",
        "{{ payload.clear() }}",
        "{% set _ = results.items.extend([9]) %}{}",
    ],
)
def test_mutating_methods_are_refused(text: str) -> None:
    ctx = context()
    with pytest.raises(TransformationError, match="which the sandbox forbids"):
        compile_transformation(text).render(ctx)
    assert ctx == context()


ABUSE = [
    ("{{ range(10**9) | list }}", "range() of 1000000000 items"),
    ("{% for i in range(1000) %}{% for j in range(1000) %}{% endfor %}{% endfor %}{}", "in total"),
    (
        "{% macro f(n) %}{% if n %}{{ f(n-1) }}{{ f(n-1) }}{% endif %}{% endmacro %}{{ f(40) }}",
        "calls in one render",
    ),
    ("{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}", "recursed too deeply"),
    ("{{ 'a' * 10**9 }}", "over the output limit"),
    ("{{ [0] * 10**9 }}", "over the output limit"),
    ("{{ 2 ** 1000000 }}", "limit on integers"),
    ("{{ 'x'.center(10**9) }}", "str.center()"),
    ("{{ 'x'.zfill(10**9) }}", "str.zfill()"),
    ("{{ 'x' | center(10**9) }}", "center filter"),
    ("{{ [1] | slice(10**9) | list }}", "slice filter"),
    ("{{ [1] | batch(10**9, 0) | list }}", "batch filter"),
    ("{{ '%1000000000d' % 1 }}", "format width"),
    ("{{ '%*d' % (10**9, 1) }}", "'*' widths"),
    ("{{ '%1000000000d' | format(1) }}", "format width"),
    ("{{ '{:1000000000}'.format(1) }}", "format width"),
    ("{{ '{:{}}'.format(1, 10**9) }}", "nested replacement fields"),
    (
        "{% set ns = namespace(l=[1]) %}{% for i in range(60) %}"
        "{% set ns.l = [ns.l, ns.l] %}{% endfor %}{{ ns.l | tojson }}",
        "larger than the output limit",
    ),
    (
        "{% set ns = namespace(s='xx') %}{% for i in range(40) %}"
        "{% set ns.s = ns.s ~ ns.s %}{% endfor %}{}",
        "namespace value 's'",
    ),
]


@pytest.mark.parametrize(("text", "match"), ABUSE)
def test_cpu_and_memory_abuse_is_stopped_quickly(text: str, match: str) -> None:
    started = time.perf_counter()
    with pytest.raises(TransformationError) as info:
        render(text)
    assert match in info.value.message
    assert "sandbox" in info.value.message or "recursed" in info.value.message
    assert time.perf_counter() - started < 5  # generous: the point is "not minutes"


def test_range_keeps_jinjas_limit_and_ordinary_loops_work() -> None:
    assert MAX_RANGE == 100_000
    out = render('{"n": {{ range(MAX) | length }}}'.replace("MAX", str(MAX_RANGE)))
    assert out == {"n": MAX_RANGE}
    with pytest.raises(TransformationError, match="range"):
        render("{{ range(MAX) | length }}".replace("MAX", str(MAX_RANGE + 1)))
    out = render('[{% for i in range(3) %}{"i": {{ i }}}{{ "," if not loop.last }}{% endfor %}]')
    assert out == [{"i": 0}, {"i": 1}, {"i": 2}]


def test_each_render_gets_a_fresh_budget() -> None:
    transformation = compile_transformation('{"n": {{ range(60000) | length }}}')
    for _ in range(3):  # 3 x 60,000 > MAX_RANGE: the budget is per render, not per template
        assert transformation.render(context()) == {"n": 60000}


def test_ordinary_arithmetic_and_formatting_still_work() -> None:
    out = render(
        '{"a": {{ 2 ** 64 }}, "b": {{ ("ab" * 3) | tojson }}, "c": {{ ("%05d" % 42) | tojson }},'
        ' "d": {{ "{:>6}".format("x") | tojson }}, "e": {{ ("x" | center(5)) | tojson }},'
        ' "f": {{ [1, 2, 3] | batch(2) | list }}, "g": {{ 7 % 3 }}}'
    )
    assert out == {
        "a": 2**64,
        "b": "ababab",
        "c": "00042",
        "d": "     x",
        "e": "  x  ",
        "f": [[1, 2], [3]],
        "g": 1,
    }
