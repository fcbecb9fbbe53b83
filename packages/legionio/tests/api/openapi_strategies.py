"""Hypothesis strategies from the JSON Schemas of an OpenAPI document: valid values, and
values made wrong on purpose (wrong type, unknown field, missing field, garbage)."""

from __future__ import annotations

import json
import math
from typing import Any

from hypothesis import strategies as st

JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
ANY_JSON = st.recursive(
    JSON_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


class Schemas:
    """Resolves `$ref`s against the document's components."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.components = document.get("components", {}).get("schemas", {})

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            schema = self.components[schema["$ref"].rsplit("/", 1)[-1]]
        return schema

    def valid(self, schema: dict[str, Any]) -> st.SearchStrategy[Any]:
        schema = self.resolve(schema)
        for key in ("oneOf", "anyOf"):
            if key in schema:
                merged = [
                    {**{k: v for k, v in schema.items() if k != key}, **option}
                    for option in schema[key]
                ]
                return st.one_of([self.valid(option) for option in merged])
        if "const" in schema:
            return st.just(schema["const"])
        if "enum" in schema:
            return st.sampled_from(schema["enum"])
        kind = schema.get("type")
        if isinstance(kind, list):
            return st.one_of([self.valid({**schema, "type": k}) for k in kind])
        if kind == "string":
            return self.string(schema)
        if kind == "integer":
            low = schema.get("minimum")
            high = schema.get("maximum")
            return st.integers(
                None if low is None else math.ceil(low), None if high is None else math.floor(high)
            )
        if kind == "number":
            low = schema.get("minimum", schema.get("exclusiveMinimum"))
            high = schema.get("maximum", schema.get("exclusiveMaximum"))
            return st.floats(
                low,
                high,
                allow_nan=False,
                allow_infinity=False,
                exclude_min="exclusiveMinimum" in schema,
                exclude_max="exclusiveMaximum" in schema,
            )
        if kind == "boolean":
            return st.booleans()
        if kind == "null":
            return st.none()
        if kind == "array":
            return st.lists(self.valid(schema.get("items", {})), max_size=3)
        if kind == "object" or "properties" in schema:
            return self.object(schema)
        return ANY_JSON

    def string(self, schema: dict[str, Any]) -> st.SearchStrategy[str]:
        low, high = schema.get("minLength", 0), schema.get("maxLength", 40)
        if "pattern" in schema:
            found = st.from_regex(schema["pattern"], fullmatch=True)
            return found.filter(lambda s: low <= len(s) <= high)
        return st.text(min_size=low, max_size=min(high, 40))

    def object(self, schema: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
        props: dict[str, Any] = schema.get("properties", {})
        required = set(schema.get("required", []))
        fixed = {k: self.valid(v) for k, v in props.items() if k in required}
        optional = {k: self.valid(v) for k, v in props.items() if k not in required}
        if not props and schema.get("additionalProperties") not in (False, None):
            return st.dictionaries(st.text(max_size=10), ANY_JSON, max_size=4)
        return st.fixed_dictionaries(fixed, optional=optional)

    def invalid_body(self, schema: dict[str, Any]) -> st.SearchStrategy[bytes]:
        """A body that must be refused: wrong shape, wrong field type, unknown or missing
        field, or not JSON at all."""
        schema = self.resolve(schema)
        garbage = st.binary(max_size=30).filter(lambda b: not _is_json(b))
        wrong_shape = st.sampled_from([[], "text", 12, True]).map(_dump)
        options = [garbage, wrong_shape]
        props = schema.get("properties", {})
        if props:
            base = self.object(schema)
            options.append(base.map(lambda d: _dump({**d, "unknown_field_x": 1})))
            options.append(
                st.tuples(base, st.sampled_from(sorted(props))).map(
                    lambda p: _dump({**p[0], p[1]: {"wrong": ["type"]}})
                )
            )
            if schema.get("required"):
                options.append(
                    st.tuples(base, st.sampled_from(schema["required"])).map(
                        lambda p: _dump({k: v for k, v in p[0].items() if k != p[1]})
                    )
                )
        return st.one_of(options)


def _dump(value: Any) -> bytes:
    return json.dumps(value).encode()


def _is_json(raw: bytes) -> bool:
    try:
        json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return False
    return True
