"""Input schemas derived from a function's signature and type hints, with pydantic.

Fields are aliased to the parameter names so any name (even `schema` or `model_x`) works.
"""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from legion.core.errors import ValidationFailed


def signature_params(func: Callable[..., Any], *, skip_self: bool) -> list[inspect.Parameter]:
    params = list(inspect.signature(func).parameters.values())
    if skip_self and params and params[0].name in ("self", "cls"):
        params = params[1:]
    return params


def type_hints(func: Callable[..., Any]) -> dict[str, Any]:
    try:
        return typing.get_type_hints(func, include_extras=True)
    except Exception:  # unresolvable forward references: fall back to Any, never crash discovery
        return {}


def context_parameter(func: Callable[..., Any], *, skip_self: bool = False) -> str | None:
    """The name of the parameter annotated `Context`, which the engine fills in, if any."""
    from legion.core.context import Context

    hints = type_hints(func)
    for param in signature_params(func, skip_self=skip_self):
        if hints.get(param.name) is Context:
            return param.name
    return None


def build_input_model(
    func: Callable[..., Any], model_name: str, *, skip_self: bool = False
) -> type[BaseModel]:
    """A pydantic model whose fields are the function's parameters (minus its Context)."""
    hints = type_hints(func)
    ctx_param = context_parameter(func, skip_self=skip_self)
    fields: dict[str, Any] = {}
    extra: typing.Literal["forbid", "allow"] = "forbid"
    for param in signature_params(func, skip_self=skip_self):
        if param.name == ctx_param:
            continue
        if param.kind is inspect.Parameter.VAR_KEYWORD:
            extra = "allow"
            continue
        if param.kind is inspect.Parameter.VAR_POSITIONAL:
            continue
        annotation = hints.get(param.name, Any)
        default = ... if param.default is inspect.Parameter.empty else param.default
        fields[f"p_{param.name}"] = (annotation, Field(default, alias=param.name))
    config = ConfigDict(extra=extra, arbitrary_types_allowed=True, populate_by_name=False)
    return create_model(model_name, __config__=config, **fields)


def validate_args(model: type[BaseModel], args: Mapping[str, Any], address: str) -> dict[str, Any]:
    """Validated keyword arguments; every failing field is listed in the error."""
    try:
        instance = model.model_validate(dict(args))
    except ValidationError as exc:
        problems = [
            {
                "field": ".".join(str(p) for p in err["loc"]) or "(arguments)",
                "problem": "unexpected argument"
                if err["type"] == "extra_forbidden"
                else err["msg"],
            }
            for err in exc.errors()
        ]
        listed = "; ".join(f"{p['field']}: {p['problem']}" for p in problems)
        raise ValidationFailed(
            f"invalid arguments for {address}: {listed}",
            hint=f"`legion lex info {address.split('.')[0]}` shows the signature",
            details=problems,
        ) from None
    values = {alias: getattr(instance, name) for name, alias in _aliases(model)}
    extra = instance.model_extra
    if extra:
        values.update(extra)
    return values


@functools.lru_cache(maxsize=4096)
def _aliases(model: type[BaseModel]) -> tuple[tuple[str, str], ...]:
    """(field name, parameter name) of each field: read once per model, not on every call."""
    return tuple((name, field.alias or name) for name, field in model.model_fields.items())


def signature_text(func: Callable[..., Any], *, skip_self: bool = False) -> str:
    """`url: str, timeout: float = 10.0` — the human form shown by `legion lex info`."""
    ctx_param = context_parameter(func, skip_self=skip_self)
    return ", ".join(
        str(param).replace("'", "")
        for param in signature_params(func, skip_self=skip_self)
        if param.name != ctx_param
    )
