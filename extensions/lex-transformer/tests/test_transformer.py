from typing import Any

import pytest

from legion.core.errors import ValidationFailed
from legion.core.registry import Capability, CapabilityRegistry
from legion.core.transformations import TransformationError
from legion.extensions.transformer import extension

CONTEXT = {
    "results": {"url": "https://example.test/a", "items": [{"id": 1}, {"id": 2}]},
    "payload": {"env": "prod"},
}


@pytest.fixture
def registry() -> CapabilityRegistry:
    registry = CapabilityRegistry()
    registry.add(extension)
    return registry


def cap(registry: CapabilityRegistry, name: str) -> Capability:
    return registry.get(f"transformer.template.{name}")


def render(registry: CapabilityRegistry, **args: Any) -> Any:
    return cap(registry, "render").invoke(args)


def test_jinja_renders_an_object_of_arguments(registry: CapabilityRegistry) -> None:
    template = (
        '{"url": {{ results.url | tojson }}, "count": {{ results.items | length }}, '
        '"env": {{ payload.env | tojson }}}'
    )
    out = render(registry, template=template, context=CONTEXT)
    assert out == {"url": "https://example.test/a", "count": 2, "env": "prod"}


def test_jinja_can_render_a_list_for_a_fan_out(registry: CapabilityRegistry) -> None:
    template = "[{% for i in results.items %}{\"id\": {{ i.id }}}{{ ',' if not loop.last }}"
    template += "{% endfor %}]"
    assert render(registry, template=template, context=CONTEXT) == [{"id": 1}, {"id": 2}]


def test_jsonpath_selects_from_the_context(registry: CapabilityRegistry) -> None:
    out = render(registry, template="$.results.items[*]", context=CONTEXT, engine="jsonpath")
    assert out == [{"id": 1}, {"id": 2}]


def test_errors_name_the_problem_and_line(registry: CapabilityRegistry) -> None:
    with pytest.raises(TransformationError, match="'nope' is undefined") as info:
        render(registry, template='{"a": 1,\n"b": {{ nope }}}', context=CONTEXT)
    assert info.value.line == 2
    with pytest.raises(TransformationError, match="not a JSON object"):
        render(registry, template='"just text"', context=CONTEXT)


def test_the_sandbox_holds(registry: CapabilityRegistry) -> None:
    with pytest.raises(TransformationError, match="sandbox forbids"):
        render(registry, template='{"x": {{ "".__class__ | string | tojson }}}', context={})
    with pytest.raises(TransformationError, match="include"):
        render(registry, template='{% include "/etc/passwd" %}', context={})
    with pytest.raises(TransformationError, match="sandbox limit"):
        render(registry, template='{"n": {{ range(10**9) | length }}}', context={})


def test_validate_compiles_without_rendering(registry: CapabilityRegistry) -> None:
    check = cap(registry, "validate")
    assert check.invoke({"template": '{"a": {{ anything }}}'}) == {"valid": True}
    out = check.invoke({"template": '{"a": 1}\n{% if %}'})
    assert out["valid"] is False and out["line"] == 2 and "syntax error" in out["message"]
    assert check.invoke({"template": "$.results[", "engine": "jsonpath"})["valid"] is False
    assert check.invoke({"template": "   "})["valid"] is False


def test_the_engine_is_validated_by_the_schema(registry: CapabilityRegistry) -> None:
    schema = cap(registry, "render").input_schema
    assert schema["required"] == ["template", "context"]
    assert set(schema["properties"]["engine"]["enum"]) == {"jinja", "jsonpath"}
    with pytest.raises(ValidationFailed, match="engine"):
        render(registry, template="{}", context={}, engine="erb")
    assert all(c.options.idempotent for c in registry.of_extension("transformer"))
