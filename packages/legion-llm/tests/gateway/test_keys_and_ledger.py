"""Virtual keys (allowed models, budgets that survive a restart) and the ledger rows a request
leaves behind, through the real server."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import openai
import pytest

from legion.llm.keys import hash_key
from legion.llm.ledger.summary import summary
from legion.llm.testing.gateway_server import GatewayServer
from legion.llm.testing.mock_upstream import MockUpstream

TEAM_KEY = "sk-team-a-0123456789"
PRICES = {"input_cost_per_token": 0.001, "output_cost_per_token": 0.002}


def config(mock: MockUpstream, entry: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    priced = entry("gpt-mock", mock, input_cost_per_token=0.001, output_cost_per_token=0.002)
    return {
        "model_list": [priced, entry("other-mock", mock)],
        "legion": {
            "keys": [
                {
                    "name": "team-a",
                    "key_sha256": hash_key(TEAM_KEY),
                    "models": ["gpt-mock"],
                    "max_budget": 0.01,
                }
            ]
        },
    }


def ask(running: GatewayServer, model: str = "gpt-mock") -> str:
    client = openai.OpenAI(base_url=running.url + "/v1", api_key=TEAM_KEY, max_retries=0)
    reply = client.chat.completions.create(
        model=model, messages=[{"role": "user", "content": "hi"}]
    )
    return reply.choices[0].message.content or ""


def test_a_key_is_limited_to_its_models(
    mocks: Callable[..., MockUpstream],
    gateway_factory: Callable[..., GatewayServer],
    openai_entry: Callable[..., dict[str, Any]],
) -> None:
    mock = mocks()
    c = config(mock, openai_entry)
    running = gateway_factory(c["model_list"], legion=c["legion"])
    assert ask(running) == mock.answer_for("hi")
    with pytest.raises(openai.PermissionDeniedError) as info:
        ask(running, "other-mock")
    assert "other-mock" in str(info.value)
    models = openai.OpenAI(base_url=running.url + "/v1", api_key=TEAM_KEY).models.list()
    assert [m.id for m in models] == ["gpt-mock"]


def test_budget_is_enforced_and_resumes_after_a_restart(
    mocks: Callable[..., MockUpstream],
    gateway_factory: Callable[..., GatewayServer],
    openai_entry: Callable[..., dict[str, Any]],
    tmp_path: Path,
) -> None:
    mock = mocks()
    c = config(mock, openai_entry)
    running = gateway_factory(c["model_list"], legion=c["legion"])
    ask(running)  # ~ (1 + 12 tokens) at these prices: more than the $0.01 budget
    with pytest.raises(openai.RateLimitError) as info:
        ask(running)
    assert "budget" in str(info.value)
    running.stop()
    restarted = gateway_factory(c["model_list"], legion=c["legion"])
    with pytest.raises(openai.RateLimitError):
        ask(restarted)


def test_the_ledger_has_the_request_and_its_attempts(
    mocks: Callable[..., MockUpstream],
    gateway_factory: Callable[..., GatewayServer],
    openai_entry: Callable[..., dict[str, Any]],
    tmp_path: Path,
    master_key: str,
) -> None:
    primary, secondary = mocks(), mocks()
    running = gateway_factory(
        [
            openai_entry("m", primary, model="primary", priority=10, **PRICES),
            openai_entry("m", secondary, model="secondary", **PRICES),
        ]
    )
    primary.set_fault("status", status=500)
    client = openai.OpenAI(base_url=running.url + "/v1", api_key=master_key, max_retries=0)
    client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
    writer = running.gateway.accounting.ledger
    assert writer is not None and writer.flush(10)
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    [by_model] = summary(url, by="model")
    assert by_model["model"] == "m" and by_model["requests"] == 1 and by_model["attempts"] == 2
    assert by_model["errors"] == 0 and by_model["cost_usd"] > 0
    by_provider = {row["provider"]: row for row in summary(url, by="provider")}
    assert by_provider["openai"]["attempts"] == 2
