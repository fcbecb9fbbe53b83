"""The Jinja environment transformations render in: sandboxed, loader-less, strict, JSON-minded.

On top of `ImmutableSandboxedEnvironment` (no `_`-attributes, no internals, no mutating methods),
it cannot load templates, has no Python builtins beyond `range`/`dict`/`namespace`/`cycler`/
`joiner`, fails on undefined names, prefers a dict's keys to its methods (`results.items` is the
key, not `dict.items`) and spends from the per-render budget of `limits`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from typing import Any, NoReturn

from jinja2 import BaseLoader, StrictUndefined, TemplateNotFound, filters
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context, Undefined
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import Cycler, Joiner, Namespace, missing

from legion.core.transformations import limits
from legion.core.transformations.limits import LimitExceeded
from legion.core.transformations.output import to_json

UNDEFINED_VARIABLE = "variable {name!r} is undefined"
UNDEFINED_VARIABLE_RE = re.compile(r"^variable '(?P<name>[^']*)' is undefined$")


class RefuseAllLoader(BaseLoader):
    """`include`, `import` and `extends` have nothing to load: no files, no network."""

    def get_source(self, environment: Any, template: str) -> NoReturn:
        raise TemplateNotFound(template, "transformations cannot load other templates")


class StrictJsonUndefined(StrictUndefined):
    """Fails on any use, with a message naming the missing key and the closest existing one."""

    __slots__ = ()

    @property
    def _undefined_message(self) -> str:
        hint, obj, name = self._undefined_hint, self._undefined_obj, self._undefined_name
        if hint:
            return hint
        if obj is missing:
            return UNDEFINED_VARIABLE.format(name=name)
        if isinstance(obj, Mapping):
            keys = [key for key in obj if isinstance(key, str)]
            message = f"key {name!r} is undefined"
            close = difflib.get_close_matches(str(name), keys, n=1)
            if close:
                return f"{message} (did you mean {close[0]!r}?)"
            if keys:
                return f"{message}; the object has keys {', '.join(keys[:10])}"
            return f"{message}; the object is empty"
        if isinstance(obj, (list, tuple)) and isinstance(name, int):
            return f"index {name} is out of range for a list of {len(obj)} items"
        return f"a value of type {type(obj).__name__} has no attribute {name!r}"


class BoundedNamespace(Namespace):
    """`namespace()` whose values cannot grow past the output limit between loop iterations."""

    def __setitem__(self, name: str, value: Any) -> None:
        if isinstance(value, (str, list, tuple, dict)):
            limit = limits.current_budget().max_bytes
            if len(value) > limit:
                raise LimitExceeded(f"namespace value {name!r} is over the output limit")
        super().__setitem__(name, value)


def tojson(value: Any, indent: int | None = None) -> str:
    """Strict JSON that parses back to exactly `value` (no HTML escaping: the output is JSON)."""
    del indent  # accepted for compatibility with Jinja's filter; layout does not matter here
    return to_json(value, limits.current_budget().max_bytes)


def finalize(value: Any) -> Any:
    """`{{ x }}` of a dict, list, bool or None renders its JSON, the only form a JSON output wants.

    Strings stay raw, so they can be spliced inside quotes; `| tojson` quotes and escapes them.
    """
    if type(value) is str:
        return value
    if value is None or isinstance(value, (bool, float, dict, list, tuple)):
        return to_json(value, limits.current_budget().max_bytes)
    return value


def _sized(func: Callable[..., Any], name: str, position: int, keyword: str) -> Callable[..., Any]:
    """Wrap a filter so its width/count argument cannot exceed the output limit."""

    def wrapper(value: Any, *args: Any, **kwargs: Any) -> Any:
        if len(args) >= position:
            limits.check_width(args[position - 1], f"the {name} filter")
        if keyword in kwargs:
            limits.check_width(kwargs[keyword], f"the {name} filter")
        return func(value, *args, **kwargs)

    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    return wrapper


def _format(value: str, *args: Any, **kwargs: Any) -> str:
    limits.check_percent_format(str(value))
    return filters.do_format(value, *args, **kwargs)


class TransformationEnvironment(ImmutableSandboxedEnvironment):
    """The sandbox with the budget of `limits` charged on calls and on `*`, `**` and `%`."""

    intercepted_binops = frozenset({"*", "**", "%"})

    def __init__(self) -> None:
        super().__init__(
            loader=RefuseAllLoader(),
            undefined=StrictJsonUndefined,
            finalize=finalize,
            autoescape=False,
            auto_reload=False,
            cache_size=0,
        )
        self.globals.clear()
        self.globals.update(
            range=limits.bounded_range,
            dict=dict,
            namespace=BoundedNamespace,
            cycler=Cycler,
            joiner=Joiner,
        )
        self.filters["tojson"] = tojson
        self.filters["format"] = _format
        self.filters["center"] = _sized(filters.do_center, "center", 1, "width")
        self.filters["indent"] = _sized(filters.do_indent, "indent", 1, "width")
        self.filters["batch"] = _sized(filters.do_batch, "batch", 1, "linecount")
        self.filters["slice"] = _sized(filters.do_slice, "slice", 1, "slices")

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)

    def unsafe_undefined(self, obj: Any, attribute: str) -> Undefined:
        return self.undefined(
            f"the template tried to access {attribute!r} (on a value of type"
            f" {type(obj).__name__}), which the sandbox forbids",
            name=attribute,
            obj=obj,
            exc=SecurityError,
        )

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None
        limits.check_brace_format(value.__self__)
        return wrapped

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        limits.check_binop(operator, left, right)
        return super().call_binop(context, operator, left, right)

    def call(self, context: Context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        budget = limits.charge_call(obj, args, kwargs)
        result = super().call(context, obj, *args, **kwargs)
        if isinstance(result, str) and len(result) > budget.max_bytes:
            raise LimitExceeded(f"a call returned more than the output limit of {budget.max_bytes}")
        return result


ENVIRONMENT = TransformationEnvironment()
