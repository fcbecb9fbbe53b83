"""litellm imported once per session (it costs seconds), one event loop for every test (litellm
caches clients per loop), and a fresh mock upstream per test."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from types import ModuleType

import pytest

from legion.llm.deployment import Deployment
from legion.llm.providers.litellm_provider import import_litellm
from legion.llm.testing.mock_upstream import MockUpstream


@pytest.fixture(scope="session")
def litellm() -> ModuleType:
    return import_litellm()


@pytest.fixture(scope="session")
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    event_loop = asyncio.new_event_loop()
    yield event_loop
    event_loop.run_until_complete(event_loop.shutdown_asyncgens())
    event_loop.close()


@pytest.fixture
def mock() -> Iterator[MockUpstream]:
    with MockUpstream(words=8) as upstream:
        yield upstream


@pytest.fixture
def deployment(mock: MockUpstream, litellm: ModuleType) -> Deployment:
    return Deployment(
        id="mock-1",
        model_name="mock",
        provider="litellm",
        model="openai/mock-model",
        api_base=mock.url + "/v1",
        api_key="sk-mock",
        timeout=5.0,
    )
