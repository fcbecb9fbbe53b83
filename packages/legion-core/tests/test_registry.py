import asyncio
import types

import pytest

from legion.core.errors import NotFoundError, ValidationFailed
from legion.core.registry import CapabilityRegistry
from legion.core.sdk import Extension, capability, every


def make_module() -> types.ModuleType:
    mod = types.ModuleType("legion.extensions.demo.runners.maths")

    def add(a: int, b: int = 2) -> int:
        """Add two integers.

        More text that is not part of the description."""
        return a + b

    async def slow_double(x: float) -> float:
        await asyncio.sleep(0)
        return x * 2

    @capability(remote_invocable=False, timeout=5, retries=3)
    def local_only(schema: str, model_x: int = 0, **extra: object) -> dict[str, object]:
        return {"schema": schema, "model_x": model_x, **extra}

    def _private() -> None:
        raise AssertionError

    for fn in (add, slow_double, local_only, _private):
        fn.__module__ = mod.__name__
        setattr(mod, fn.__name__, fn)
    mod.imported_helper = asyncio.sleep  # not defined here: not a capability
    return mod


class Greeter:
    def __init__(self) -> None:
        self.prefix = "hi"

    def greet(self, name: str) -> str:
        """Greet someone."""
        return f"{self.prefix} {name}"

    def _hidden(self) -> None:
        raise AssertionError


@pytest.fixture
def registry() -> CapabilityRegistry:
    reg = CapabilityRegistry()
    reg.add(
        Extension(
            name="demo",
            version="1.0",
            runners=[make_module(), Greeter],
            actors=[every("maths.add", seconds=5)],
        )
    )
    return reg


def test_addresses_cover_public_functions_only(registry: CapabilityRegistry) -> None:
    assert [c.address for c in registry] == [
        "demo.greeter.greet",
        "demo.maths.add",
        "demo.maths.local_only",
        "demo.maths.slow_double",
    ]


def test_schema_from_type_hints_and_description_from_docstring(
    registry: CapabilityRegistry,
) -> None:
    cap = registry.get("demo.maths.add")
    assert cap.description == "Add two integers."
    assert cap.input_schema["properties"]["a"]["type"] == "integer"
    assert cap.input_schema["properties"]["b"]["default"] == 2
    assert cap.input_schema["required"] == ["a"]
    assert cap.signature == "a: int, b: int = 2"


def test_invoke_validates_and_coerces(registry: CapabilityRegistry) -> None:
    assert registry.get("demo.maths.add").invoke({"a": "3"}) == 5
    assert registry.get("demo.maths.slow_double").invoke({"x": 1.5}) == 3.0
    assert registry.get("demo.greeter.greet").invoke({"name": "ann"}) == "hi ann"


def test_every_failing_field_is_listed(registry: CapabilityRegistry) -> None:
    with pytest.raises(ValidationFailed) as info:
        registry.get("demo.maths.add").invoke({"b": "x", "c": 1})
    fields = {d["field"]: d["problem"] for d in info.value.details}
    assert set(fields) == {"a", "b", "c"}
    assert fields["c"] == "unexpected argument"


def test_options_and_reserved_parameter_names(registry: CapabilityRegistry) -> None:
    cap = registry.get("demo.maths.local_only")
    assert cap.options.remote_invocable is False and cap.options.timeout == 5
    assert cap.invoke({"schema": "s", "model_x": 4, "free": True}) == {
        "schema": "s",
        "model_x": 4,
        "free": True,
    }


def test_unknown_address_suggests_close_ones(registry: CapabilityRegistry) -> None:
    with pytest.raises(NotFoundError) as info:
        registry.get("demo.maths.ad")
    assert info.value.hint is not None and "demo.maths.add" in info.value.hint


def test_extension_declarations_are_checked() -> None:
    with pytest.raises(ValueError, match="not a runner function"):
        Extension(
            name="demo", version="1", runners=[make_module()], actors=[every("maths.nope", 1)]
        )
    with pytest.raises(ValueError, match="must match"):
        Extension(name="Bad-Name", version="1", runners=[])
    with pytest.raises(ValueError, match="unknown required components"):
        Extension(name="demo", version="1", runners=[], requires={"gpu"})
    with pytest.raises(ValueError, match="interval"):
        every("maths.add", seconds=0)


def test_remove_extension(registry: CapabilityRegistry) -> None:
    registry.remove("demo")
    assert len(registry) == 0 and "demo.maths.add" not in registry
