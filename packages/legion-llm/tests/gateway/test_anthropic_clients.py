"""The official anthropic SDK against the gateway, on an Anthropic upstream and across dialects."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import anthropic
import openai
import pytest

from legion.llm.testing.gateway_server import GatewayServer
from legion.llm.testing.mock_upstream import MockUpstream

PROMPT = "Name a large river in Europe."


@dataclass
class Setup:
    running: GatewayServer
    mock: MockUpstream
    master: str

    def client(self, key: str | None = None) -> anthropic.Anthropic:
        return anthropic.Anthropic(
            base_url=self.running.url, api_key=key or self.master, max_retries=0
        )

    def openai(self) -> openai.OpenAI:
        return openai.OpenAI(base_url=self.running.url + "/v1", api_key=self.master, max_retries=0)


@pytest.fixture
def both(
    mocks: Callable[..., MockUpstream],
    gateway_factory: Callable[..., GatewayServer],
    openai_entry: Callable[..., dict[str, Any]],
    anthropic_entry: Callable[..., dict[str, Any]],
    master_key: str,
) -> Setup:
    mock = mocks(api_key="sk-upstream-secret-123")
    running = gateway_factory(
        [anthropic_entry("claude-mock", mock), openai_entry("gpt-mock", mock)]
    )
    return Setup(running, mock, master_key)


def test_messages_create_on_an_anthropic_upstream(both: Setup) -> None:
    message = both.client().messages.create(
        model="claude-mock", max_tokens=100, messages=[{"role": "user", "content": PROMPT}]
    )
    assert message.content[0].type == "text"
    assert message.content[0].text == both.mock.answer_for(PROMPT)
    assert message.model == "claude-mock"
    assert message.stop_reason == "end_turn"
    assert both.mock.count("/v1/messages") == 1


def test_anthropic_client_on_an_openai_upstream(both: Setup) -> None:
    message = both.client().messages.create(
        model="gpt-mock",
        max_tokens=100,
        system="Be brief.",
        messages=[{"role": "user", "content": PROMPT}],
    )
    assert message.content[0].text == both.mock.answer_for(PROMPT)  # type: ignore[union-attr]
    sent = both.mock.last_body("/v1/chat/completions")
    assert sent["messages"][0] == {"role": "system", "content": "Be brief."}


def test_openai_client_on_an_anthropic_upstream_with_tools(both: Setup) -> None:
    completion = both.openai().chat.completions.create(
        model="claude-mock",
        messages=[{"role": "user", "content": "please call weather"}],
        tools=[
            {
                "type": "function",
                "function": {
                    "name": "weather",
                    "parameters": {"type": "object", "properties": {"echo": {"type": "string"}}},
                },
            }
        ],
    )
    calls = completion.choices[0].message.tool_calls
    assert calls is not None and calls[0].function.name == "weather"
    sent = both.mock.last_body("/v1/messages")
    assert sent["tools"][0]["name"] == "weather"
    assert sent["tools"][0]["input_schema"]["type"] == "object"


def test_streaming_with_the_sdk_helper(both: Setup) -> None:
    for model in ("claude-mock", "gpt-mock"):
        with both.client().messages.stream(
            model=model, max_tokens=100, messages=[{"role": "user", "content": PROMPT}]
        ) as stream:
            text = "".join(stream.text_stream)
            final = stream.get_final_message()
        assert text == both.mock.answer_for(PROMPT)
        assert final.stop_reason == "end_turn"
        assert final.usage.output_tokens > 0


def test_anthropic_tool_use_on_an_openai_upstream(both: Setup) -> None:
    message = both.client().messages.create(
        model="gpt-mock",
        max_tokens=100,
        tools=[{"name": "lookup", "input_schema": {"type": "object"}}],
        messages=[{"role": "user", "content": "please call lookup"}],
    )
    blocks = [b for b in message.content if b.type == "tool_use"]
    assert blocks and blocks[0].name == "lookup"
    assert blocks[0].input == {"echo": "please call lookup"}
    assert message.stop_reason == "tool_use"


def test_count_tokens(both: Setup) -> None:
    count = both.client().messages.count_tokens(
        model="claude-mock", messages=[{"role": "user", "content": PROMPT}]
    )
    assert count.input_tokens > 0


def test_errors_in_anthropic_format(both: Setup) -> None:
    with pytest.raises(anthropic.AuthenticationError):
        both.client(key="wrong").messages.create(
            model="claude-mock", max_tokens=10, messages=[{"role": "user", "content": "x"}]
        )
    with pytest.raises(anthropic.NotFoundError) as info:
        both.client().messages.create(
            model="nope", max_tokens=10, messages=[{"role": "user", "content": "x"}]
        )
    assert "claude-mock" in str(info.value)
