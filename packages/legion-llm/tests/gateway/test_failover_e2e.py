"""Failover through the real server: a provider that dies before or during a stream, rate
limits, circuits that open and recover, and the 503 when every candidate fails."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anthropic
import httpx
import openai
import pytest

from legion.llm.testing.gateway_server import GatewayServer
from legion.llm.testing.mock_upstream import MockUpstream

PROMPT = "Tell me about the Seine."

Pair = tuple[GatewayServer, MockUpstream, MockUpstream]


@pytest.fixture
def pair(
    mocks: Callable[..., MockUpstream],
    gateway_factory: Callable[..., GatewayServer],
    openai_entry: Callable[..., dict[str, Any]],
    anthropic_entry: Callable[..., dict[str, Any]],
) -> Pair:
    primary, secondary = mocks(words=40), mocks(words=40)
    running = gateway_factory(
        [
            openai_entry("m", primary, model="primary", priority=10),
            anthropic_entry("m", secondary, model="secondary"),
        ],
        legion={"health": {"failure_threshold": 1000}},
    )
    return running, primary, secondary


def stream_text(running: GatewayServer, key: str) -> str:
    client = openai.OpenAI(base_url=running.url + "/v1", api_key=key, max_retries=0)
    chunks = client.chat.completions.create(
        model="m", messages=[{"role": "user", "content": PROMPT}], stream=True
    )
    return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)


@pytest.mark.parametrize("k", [0, 1, 17])
def test_stream_continues_on_another_provider_after_k_chunks(
    pair: Pair, master_key: str, k: int
) -> None:
    running, primary, secondary = pair
    primary.set_fault("die_after", chunks=k)
    text = stream_text(running, master_key)
    assert text == primary.answer_for(PROMPT)
    assert primary.count("/v1/chat/completions") == 1
    assert secondary.count("/v1/messages") == 1
    prefill = secondary.last_body("/v1/messages")["messages"]
    if k:
        assert prefill[-1]["role"] == "assistant"  # continued, not restarted


def test_anthropic_stream_client_sees_one_well_formed_stream(pair: Pair, master_key: str) -> None:
    running, primary, _ = pair
    primary.set_fault("die_after", chunks=5)
    client = anthropic.Anthropic(base_url=running.url, api_key=master_key, max_retries=0)
    with client.messages.stream(
        model="m", max_tokens=200, messages=[{"role": "user", "content": PROMPT}]
    ) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == primary.answer_for(PROMPT)
    assert final.stop_reason == "end_turn"


def test_rate_limited_primary_falls_back_before_the_first_byte(pair: Pair, master_key: str) -> None:
    running, primary, secondary = pair
    primary.set_fault("status", status=429, retry_after=7)
    client = openai.OpenAI(base_url=running.url + "/v1", api_key=master_key, max_retries=0)
    raw = client.chat.completions.with_raw_response.create(
        model="m", messages=[{"role": "user", "content": PROMPT}]
    )
    assert raw.parse().choices[0].message.content == secondary.answer_for(PROMPT)
    assert "secondary" in raw.headers["x-legion-route"]


def test_every_candidate_failing_is_a_503_with_retry_after_and_the_attempts(
    pair: Pair, master_key: str
) -> None:
    running, primary, secondary = pair
    primary.set_fault("status", status=500)
    secondary.set_fault("status", status=529)
    r = httpx.post(
        running.url + "/v1/chat/completions",
        json={"model": "m", "messages": [{"role": "user", "content": "x"}]},
        headers={"authorization": f"Bearer {master_key}"},
    )
    assert r.status_code == 503
    assert int(r.headers["retry-after"]) >= 1
    assert r.headers["x-legion-attempts"] == "2"
    assert "primary" in r.json()["error"]["message"]


def test_circuit_opens_after_three_failures_and_recovers_after_the_cooldown(
    mocks: Callable[..., MockUpstream],
    gateway_factory: Callable[..., GatewayServer],
    openai_entry: Callable[..., dict[str, Any]],
    master_key: str,
) -> None:
    primary, secondary = mocks(), mocks()
    running = gateway_factory(
        [
            openai_entry("m", primary, model="primary", priority=10),
            openai_entry("m", secondary, model="secondary"),
        ],
        legion={"health": {"failure_threshold": 3, "cooldown_seconds": 0.5}},
    )
    primary.set_fault("status", status=500)
    client = openai.OpenAI(base_url=running.url + "/v1", api_key=master_key, max_retries=0)
    for _ in range(6):
        reply = client.chat.completions.create(
            model="m", messages=[{"role": "user", "content": "x"}]
        )
        assert reply.choices[0].message.content == secondary.answer_for("x")
    # Three failures opened the circuit: later requests went straight to the secondary.
    assert primary.count("/v1/chat/completions") == 3
    health = httpx.get(
        running.url + "/health/providers", headers={"authorization": f"Bearer {master_key}"}
    ).json()
    assert "open" in str(health)
    primary.clear_faults()
    import time

    time.sleep(0.6)  # the cooldown, after which one probe is let through
    client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
    assert primary.count("/v1/chat/completions") == 4
