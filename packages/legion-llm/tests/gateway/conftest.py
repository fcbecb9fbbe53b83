"""A real gateway (uvicorn on a loopback port) in front of real mock upstreams, driven by the
official openai and anthropic SDKs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from legion.llm.testing.gateway_server import GatewayServer
from legion.llm.testing.mock_upstream import MockUpstream

MASTER = "sk-legion-test-master"
UPSTREAM_KEY = "sk-upstream-secret-123"

Entry = Callable[..., dict[str, Any]]


@pytest.fixture
def master_key() -> str:
    return MASTER


@pytest.fixture
def mocks() -> Iterator[Callable[..., MockUpstream]]:
    started: list[MockUpstream] = []

    def make(**kwargs: Any) -> MockUpstream:
        mock = MockUpstream(**kwargs).start()
        started.append(mock)
        return mock

    yield make
    for mock in started:
        mock.stop()


@pytest.fixture
def gateway_factory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., GatewayServer]]:
    """Start a gateway from a model list (master key and a SQLite ledger in tmp_path)."""
    monkeypatch.setenv("MOCK_UPSTREAM_KEY", UPSTREAM_KEY)
    running: list[GatewayServer] = []

    def make(model_list: list[dict[str, Any]], **extra: Any) -> GatewayServer:
        extra.setdefault("general_settings", {"master_key": MASTER})
        legion = extra.setdefault("legion", {})
        legion.setdefault("ledger", {"url": f"sqlite:///{tmp_path / 'ledger.db'}"})
        path = tmp_path / f"config{len(running)}.yaml"
        path.write_text(yaml.safe_dump({"model_list": model_list, **extra}, sort_keys=False))
        server = GatewayServer(path).start()
        running.append(server)
        return server

    yield make
    for server in running:
        server.stop()


def _entry(family: str, suffix: str) -> Entry:
    def build(
        name: str, mock: MockUpstream, model: str = "mock-model", **legion: Any
    ) -> dict[str, Any]:
        return {
            "model_name": name,
            "litellm_params": {
                "model": f"{family}/{model}",
                "api_base": mock.url + suffix,
                "api_key": "os.environ/MOCK_UPSTREAM_KEY",
            },
            "legion": {"tier": "direct", **legion},
        }

    return build


@pytest.fixture
def openai_entry() -> Entry:
    """A model_list entry for an OpenAI-compatible mock."""
    return _entry("openai", "/v1")


@pytest.fixture
def anthropic_entry() -> Entry:
    """A model_list entry for an Anthropic-style mock."""
    return _entry("anthropic", "")
