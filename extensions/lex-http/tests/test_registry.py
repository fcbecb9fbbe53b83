"""The extension's capabilities, as the CLI, API and MCP server see them through the registry."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from legion.core.errors import ValidationFailed
from legion.core.registry import CapabilityRegistry
from legion.extensions.http import extension
from legion.extensions.http.defaults import MAX_BYTES, SETTINGS, TIMEOUT, USER_AGENT

VERBS = ("get", "post", "put", "delete")


@pytest.fixture
def registry() -> CapabilityRegistry:
    registry = CapabilityRegistry()
    registry.add(extension)
    return registry


def test_one_capability_per_verb(registry: CapabilityRegistry) -> None:
    assert sorted(c.address for c in registry) == sorted(f"http.request.{v}" for v in VERBS)


@pytest.mark.parametrize("verb", VERBS)
def test_schema_requires_url_only(registry: CapabilityRegistry, verb: str) -> None:
    schema = registry.get(f"http.request.{verb}").input_schema
    assert schema["required"] == ["url"]
    props = schema["properties"]
    assert props["timeout"]["default"] == TIMEOUT
    assert props["timeout"]["exclusiveMinimum"] == 0
    assert props["max_bytes"]["default"] == MAX_BYTES
    assert props["follow_redirects"]["default"] is True
    assert ("json" in props) == (verb in ("post", "put"))
    assert ("data" in props) == (verb in ("post", "put"))


def test_options_are_truthful(registry: CapabilityRegistry) -> None:
    for verb in VERBS:
        options = registry.get(f"http.request.{verb}").options
        assert options.idempotent is (verb != "post")
        assert options.remote_invocable is True
        assert options.timeout is not None and options.timeout > SETTINGS["timeout"]


def test_declared_settings_match_the_defaults_in_use() -> None:
    assert extension.settings == {
        "timeout": TIMEOUT,
        "max_bytes": MAX_BYTES,
        "user_agent": USER_AGENT,
    }
    assert f"legion-http/{extension.version}" == USER_AGENT


def test_invoke_validates_then_calls(registry: CapabilityRegistry, server: str) -> None:
    result = registry.get("http.request.get").invoke({"url": f"{server}/text", "timeout": 5})
    assert result["body"] == "hello, world"
    posted = registry.get("http.request.post").invoke({"url": f"{server}/echo", "json": [1, 2]})
    assert json.loads(posted["body"]["body"]) == [1, 2]


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        ({}, "url: Field required"),
        ({"url": "http://127.0.0.1/", "timout": 1}, "timout: unexpected argument"),
        ({"url": "http://127.0.0.1/", "timeout": 0}, "timeout"),
        ({"url": "http://127.0.0.1/", "timeout": 10_000}, "timeout"),
        ({"url": "http://127.0.0.1/", "max_bytes": -1}, "max_bytes"),
        ({"url": "http://127.0.0.1/", "headers": {"x": 1}}, "headers.x"),
    ],
)
def test_invoke_rejects_bad_arguments(
    registry: CapabilityRegistry, args: dict[str, object], problem: str
) -> None:
    with pytest.raises(ValidationFailed, match=problem):
        registry.get("http.request.get").invoke(args)


def test_loading_the_extension_does_not_import_httpx() -> None:
    code = (
        "import sys, legion.extensions.http\n"
        "assert 'httpx' not in sys.modules, 'httpx imported at load time'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
