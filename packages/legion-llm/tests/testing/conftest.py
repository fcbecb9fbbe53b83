"""A fresh mock upstream per test, and the official SDK clients pointed at it (no retries, so a
fault is seen exactly once)."""

from __future__ import annotations

from collections.abc import Iterator

import anthropic
import openai
import pytest

from legion.llm.testing.mock_upstream import MockUpstream


@pytest.fixture
def mock() -> Iterator[MockUpstream]:
    with MockUpstream() as upstream:
        yield upstream


@pytest.fixture
def oai(mock: MockUpstream) -> Iterator[openai.OpenAI]:
    client = openai.OpenAI(base_url=mock.url + "/v1", api_key="sk-test", max_retries=0)
    yield client
    client.close()


@pytest.fixture
def claude(mock: MockUpstream) -> Iterator[anthropic.Anthropic]:
    client = anthropic.Anthropic(base_url=mock.url, api_key="sk-ant-test", max_retries=0)
    yield client
    client.close()
