"""Rendering into a real capability's arguments, and sharing one transformation across threads."""

import threading
import types
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from legion.core.errors import ValidationFailed
from legion.core.registry import Capability, CapabilityRegistry
from legion.core.sdk import Extension
from legion.core.transformations import (
    TransformationError,
    compile_transformation,
    transform_and_validate,
)


def make_module() -> types.ModuleType:
    mod = types.ModuleType("legion.extensions.demo.runners.web")

    def fetch(url: str, count: int, verbose: bool = False) -> dict[str, Any]:
        return {"url": url, "count": count, "verbose": verbose}

    fetch.__module__ = mod.__name__
    mod.fetch = fetch  # type: ignore[attr-defined]
    return mod


@pytest.fixture
def fetch() -> Capability:
    registry = CapabilityRegistry()
    registry.add(Extension(name="demo", version="1.0", runners=[make_module()]))
    return registry.get("demo.web.fetch")


def context(**results: Any) -> dict[str, Any]:
    return {
        "results": results,
        "args": {},
        "task": {"id": 1, "function": "demo.web.fetch", "master_id": None, "chain": 3},
        "payload": {},
    }


def test_valid_output_is_validated_and_coerced(fetch: Capability) -> None:
    transformation = compile_transformation(
        '{"url": {{ results.next | tojson }}, "count": {{ results.n | tojson }}}'
    )
    out = transform_and_validate(transformation, context(next="http://b", n="3"), fetch.validate)
    assert out == {"url": "http://b", "count": 3, "verbose": False}


def test_every_failing_field_is_listed(fetch: Capability) -> None:
    transformation = compile_transformation('{"url": {{ results.n }}, "extra": true}')
    with pytest.raises(TransformationError) as info:
        transform_and_validate(transformation, context(n=5), fetch.validate)
    error = info.value
    fields = {detail["field"]: detail["problem"] for detail in error.details}
    assert set(fields) == {"url", "count", "extra"}
    assert fields["extra"] == "unexpected argument"
    assert "url" in error.message and "count" in error.message and "extra" in error.message
    assert isinstance(error.__cause__, ValidationFailed)


def test_fan_out_validates_every_item_and_names_the_item(fetch: Capability) -> None:
    transformation = compile_transformation("$.results.pages", "jsonpath")
    pages = [{"url": "a", "count": 1}, {"url": "b"}, {"url": "c", "count": "x", "v": 1}]
    with pytest.raises(TransformationError) as info:
        transform_and_validate(transformation, context(pages=pages), fetch.validate)
    problems = {(d["item"], d["field"]) for d in info.value.details}
    assert problems == {(1, "count"), (2, "count"), (2, "v")}
    assert "[1] count" in info.value.message

    good = [{"url": "a", "count": 1}, {"url": "b", "count": "2", "verbose": True}]
    assert transform_and_validate(transformation, context(pages=good), fetch.validate) == [
        {"url": "a", "count": 1, "verbose": False},
        {"url": "b", "count": 2, "verbose": True},
    ]


def test_rendering_errors_pass_through_unchanged(fetch: Capability) -> None:
    transformation = compile_transformation('{"url": {{ results.missing }}}')
    with pytest.raises(TransformationError, match="key 'missing' is undefined"):
        transform_and_validate(transformation, context(), fetch.validate)


def test_one_transformation_rendered_from_many_threads() -> None:
    transformation = compile_transformation(
        '{"id": {{ task.id }}, "word": {{ results.word | tojson }},'
        ' "squares": [{% for i in range(results.n) %}{{ i * i }}{{ "," if not loop.last }}'
        "{% endfor %}]}"
    )
    barrier = threading.Barrier(8)

    def work(worker: int) -> list[bool]:
        barrier.wait()
        checks = []
        for i in range(300):
            n = (worker + i) % 50
            ctx = context(word=f"w{worker}-{i}", n=n)
            ctx["task"]["id"] = worker * 1000 + i
            out = transformation.render(ctx)
            checks.append(
                out
                == {
                    "id": worker * 1000 + i,
                    "word": f"w{worker}-{i}",
                    "squares": [k * k for k in range(n)],
                }
            )
        return checks

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(work, range(8)))
    assert all(all(checks) for checks in results)


def test_a_failing_render_in_one_thread_does_not_spend_anothers_budget() -> None:
    heavy = compile_transformation('{"n": {{ range(90000) | length }}}')
    abusive = compile_transformation("{{ range(10**9) | list }}")

    def run(i: int) -> Any:
        if i % 2:
            with pytest.raises(TransformationError):
                abusive.render(context())
            return None
        return heavy.render(context())

    with ThreadPoolExecutor(max_workers=4) as pool:
        outs = list(pool.map(run, range(40)))
    assert outs[::2] == [{"n": 90000}] * 20
