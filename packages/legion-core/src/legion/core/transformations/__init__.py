"""Transformations: turning a finished task's output into the next task's arguments.

In a chain A -> [transformation] -> B, the engine renders the relationship's transformation
against `{"results", "args", "task", "payload"}` of A and starts B with the result: an object,
or one follow-up per object of a list. Two engines:

- `jinja` (default): a sandboxed Jinja template rendering JSON text, e.g.
  `{"url": {{ results.url | tojson }}, "count": {{ results.items | length }}}`; undefined names
  are errors, templates cannot load files or reach Python internals, and one render's cost is
  bounded (see `limits`: `range()` is capped at 100,000 items per render, like Jinja's sandbox).
- `jsonpath`: an expression such as `$.results` or `$.results.items[*]`.

An empty list is a valid output: no follow-up. A JSONPath matching nothing is an error, so a
typo never silently ends a chain; select the list itself (`$.results.items`) to allow none.

Compile once with `compile_transformation` (errors surface when the relationship is created);
the compiled `Transformation` is immutable and safe to render from many threads.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from legion.core.errors import ValidationFailed
from legion.core.transformations.base import Transformation
from legion.core.transformations.errors import TransformationError
from legion.core.transformations.limits import DEFAULT_MAX_BYTES, MAX_RANGE
from legion.core.transformations.output import Arguments

__all__ = [
    "DEFAULT_MAX_BYTES",
    "ENGINES",
    "MAX_RANGE",
    "Arguments",
    "Transformation",
    "TransformationError",
    "compile_transformation",
    "transform_and_validate",
]

ENGINES = ("jinja", "jsonpath")


def compile_transformation(text: str, engine: str = "jinja") -> Transformation:
    """Compile `text` for `engine`; raises `TransformationError` with the line of a syntax error.

    Compiled transformations are immutable, so recent ones are shared from a small cache.
    """
    if not isinstance(engine, str) or engine not in ENGINES:
        raise TransformationError(
            f"unknown transformation engine {engine!r}", hint=f"engines: {', '.join(ENGINES)}"
        )
    if not isinstance(text, str):
        raise TransformationError(f"a transformation is text, not {type(text).__name__}")
    if not text.strip():
        raise TransformationError(f"the {engine} transformation is empty")
    return _compile(text, engine)


@lru_cache(maxsize=1024)
def _compile(text: str, engine: str) -> Transformation:
    if engine == "jsonpath":
        from legion.core.transformations.jsonpath import compile_jsonpath

        return compile_jsonpath(text)
    from legion.core.transformations.jinja import compile_jinja

    return compile_jinja(text)


def transform_and_validate(
    transformation: Transformation,
    context: Mapping[str, Any],
    validate: Callable[[dict[str, Any]], dict[str, Any]],
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Arguments:
    """Render, then validate every object; all failing fields of all objects are reported at once.

    A `ValidationFailed` from `validate` becomes a `TransformationError` with the same `details`
    (for a list, each detail also names its `item`).
    """
    produced = transformation.render(context, max_bytes=max_bytes)
    if isinstance(produced, dict):
        try:
            return validate(produced)
        except ValidationFailed as exc:
            raise TransformationError(
                f"the transformation's output is not valid arguments: {exc.message}",
                hint=exc.hint,
                details=exc.details,
            ) from exc
    validated: list[dict[str, Any]] = []
    problems: list[dict[str, Any]] = []
    for index, item in enumerate(produced):
        try:
            validated.append(validate(item))
        except ValidationFailed as exc:
            details = exc.details if isinstance(exc.details, list) else [{"problem": exc.message}]
            problems.extend({"item": index, **detail} for detail in details)
    if problems:
        listed = "; ".join(
            f"[{p['item']}] {p.get('field', '(arguments)')}: {p.get('problem', '')}"
            for p in problems
        )
        raise TransformationError(
            f"the transformation's output is not valid arguments: {listed}", details=problems
        )
    return validated
