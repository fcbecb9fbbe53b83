"""The template runner: the engine's own transformation logic, so a template renders here as it
will between two tasks of a chain (same sandbox, same limits, same JSON rules).

`legion.core.transformations` (Jinja, JSONPath) is imported when a template is compiled, so
loading the extension stays cheap.
"""

from __future__ import annotations

from typing import Any, Literal

from legion.core.sdk import capability

__all__ = ["render", "validate"]

Engine = Literal["jinja", "jsonpath"]


@capability(idempotent=True)
def render(
    template: str, context: dict[str, Any], engine: Engine = "jinja"
) -> dict[str, Any] | list[dict[str, Any]]:
    """Render `template` against `context`: a JSON object of arguments, or a list of them (one
    follow-up each in a chain). Errors name the template line when known."""
    from legion.core.transformations import compile_transformation

    return compile_transformation(template, engine).render(context)


@capability(idempotent=True)
def validate(template: str, engine: Engine = "jinja") -> dict[str, Any]:
    """Compile `template` without rendering: `{valid: true}`, or `valid: false` with the
    `message` and `line` of the error. It returns rather than raises."""
    from legion.core.transformations import TransformationError, compile_transformation

    try:
        compile_transformation(template, engine)
    except TransformationError as exc:
        return {"valid": False, "message": exc.message, "line": exc.line}
    return {"valid": True}
