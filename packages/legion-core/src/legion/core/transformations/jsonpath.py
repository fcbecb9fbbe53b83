"""The `jsonpath` engine: select the arguments from the context with a JSONPath expression.

`$.results` selects an object (one follow-up); `$.results.items` selecting a list of objects,
or `$.results.items[*]` matching several objects, fans out to one follow-up per object.
Plain dotted paths skip jsonpath-ng at render time and walk the dicts directly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from legion.core.transformations import output
from legion.core.transformations.base import Transformation, check_max_bytes
from legion.core.transformations.errors import TransformationError
from legion.core.transformations.limits import DEFAULT_MAX_BYTES, LimitExceeded

_NO_MATCH = object()
_SHAPE_HINT = "select an object, e.g. $.results, or objects, e.g. $.results.items[*]"


@dataclass(frozen=True, slots=True)
class JsonPathTransformation(Transformation):
    """A parsed JSONPath expression (see `compile_jsonpath`)."""

    engine: ClassVar[str] = "jsonpath"
    text: str
    _expression: Any = field(compare=False, repr=False)
    _keys: tuple[str, ...] | None = field(compare=False, repr=False)

    def render(
        self, context: Mapping[str, Any], *, max_bytes: int = DEFAULT_MAX_BYTES
    ) -> output.Arguments:
        check_max_bytes(max_bytes)
        found = self._walk(context) if self._keys is not None else self._find(context)
        source = f"the jsonpath {self.text}"
        try:
            text = output.to_json(found, max_bytes)
        except LimitExceeded:
            text = None
        except (TypeError, ValueError) as exc:
            message = f"{source} selected a value that is not JSON: {exc}"
            raise TransformationError(message) from None
        if text is None or output.utf8_size(text) > max_bytes:
            raise TransformationError(f"{source} selected more than the limit of {max_bytes} bytes")
        # a fresh copy through JSON: the follow-up never shares objects with the trigger's result
        return output.as_arguments(output.parse(text, source), source, _SHAPE_HINT)

    def _walk(self, context: Mapping[str, Any]) -> Any:
        """A plain dotted path: dict lookups, and on a miss, the step that missed."""
        value: Any = context
        path = "$"
        for key in self._keys or ():
            if not isinstance(value, Mapping):
                raise TransformationError(
                    f"the jsonpath {self.text} matched nothing: {path} is {output.describe(value)}"
                )
            found = value.get(key, _NO_MATCH)
            if found is _NO_MATCH:
                raise TransformationError(
                    f"the jsonpath {self.text} matched nothing: {path} has no key {key!r}"
                    + output.close_match(key, value)
                )
            value = found
            path = f"{path}.{key}"
        return value

    def _find(self, context: Mapping[str, Any]) -> Any:
        try:
            matches = [match.value for match in self._expression.find(context)]
        except Exception as exc:  # jsonpath-ng filters can fail on odd data
            raise TransformationError(
                f"the jsonpath {self.text} failed: {type(exc).__name__}: {exc}"
            ) from None
        if not matches:
            raise TransformationError(
                f"the jsonpath {self.text} matched nothing in the context",
                hint=f"the context has {', '.join(sorted(map(str, context)))}",
            )
        return matches[0] if len(matches) == 1 else matches


def _plain_keys(expression: Any) -> tuple[str, ...] | None:
    """`$.a.b` as ("a", "b"); None for anything beyond single named fields from the root."""
    from jsonpath_ng import Child, Fields, Root

    keys: list[str] = []
    node = expression
    while isinstance(node, Child):
        right = node.right
        if not (isinstance(right, Fields) and len(right.fields) == 1 and right.fields[0] != "*"):
            return None
        keys.append(right.fields[0])
        node = node.left
    if not isinstance(node, Root):
        return None
    return tuple(reversed(keys))


def compile_jsonpath(text: str) -> JsonPathTransformation:
    """Parse once (jsonpath-ng's extended syntax: filters, arithmetic); errors name the position."""
    from jsonpath_ng.ext.parser import parse

    try:
        expression = parse(text)
    except Exception as exc:  # JSONPathError, and whatever else the parser raises
        raise TransformationError(
            f"jsonpath syntax error in {text!r}: {exc}",
            hint="e.g. $.results, $.results.items[*] or $.results.items[?(@.ok == true)]",
        ) from None
    return JsonPathTransformation(text, expression, _plain_keys(expression))
