"""The official openai SDK against a running gateway: sync, async, streaming, tools, errors."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import openai
import pytest

from legion.llm.testing.gateway_server import GatewayServer
from legion.llm.testing.mock_upstream import MockUpstream

PROMPT = "What is the capital of France?"


@dataclass
class Setup:
    running: GatewayServer
    mock: MockUpstream
    master: str

    def client(self, key: str | None = None) -> openai.OpenAI:
        return openai.OpenAI(
            base_url=self.running.url + "/v1", api_key=key or self.master, max_retries=0
        )


@pytest.fixture
def one(
    mocks: Callable[..., MockUpstream],
    gateway_factory: Callable[..., GatewayServer],
    openai_entry: Callable[..., dict[str, Any]],
    master_key: str,
) -> Setup:
    mock = mocks(api_key="sk-upstream-secret-123")
    return Setup(gateway_factory([openai_entry("gpt-mock", mock)]), mock, master_key)


def test_chat_completion_answers_with_the_upstream_text_and_the_route_header(one: Setup) -> None:
    mock = one.mock
    raw = one.client().chat.completions.with_raw_response.create(
        model="gpt-mock", messages=[{"role": "user", "content": PROMPT}]
    )
    completion = raw.parse()
    assert completion.choices[0].message.content == mock.answer_for(PROMPT)
    assert completion.model == "gpt-mock"
    assert completion.usage is not None and completion.usage.completion_tokens > 0
    assert "openai/mock-model" in raw.headers["x-legion-route"]
    sent = mock.last_body("/v1/chat/completions")
    assert sent["model"] == "mock-model"
    assert sent["messages"] == [{"role": "user", "content": PROMPT}]


def test_streaming_reassembles_the_answer_and_reports_usage(one: Setup) -> None:
    mock = one.mock
    stream = one.client().chat.completions.create(
        model="gpt-mock",
        messages=[{"role": "user", "content": PROMPT}],
        stream=True,
        stream_options={"include_usage": True},
    )
    text, usage = "", None
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            text += chunk.choices[0].delta.content
        if chunk.usage is not None:
            usage = chunk.usage
    assert text == mock.answer_for(PROMPT)
    assert usage is not None and usage.completion_tokens > 0


def test_async_client_runs_concurrent_requests(one: Setup) -> None:
    mock = one.mock

    async def main() -> list[str]:
        async with openai.AsyncOpenAI(
            base_url=one.running.url + "/v1", api_key=one.master
        ) as aclient:
            replies = await asyncio.gather(
                *(
                    aclient.chat.completions.create(
                        model="gpt-mock", messages=[{"role": "user", "content": f"q{i}"}]
                    )
                    for i in range(8)
                )
            )
        return [r.choices[0].message.content or "" for r in replies]

    assert asyncio.run(main()) == [mock.answer_for(f"q{i}") for i in range(8)]


def test_tool_calls_come_back_as_parsed_tool_calls(one: Setup) -> None:
    tools = [
        {
            "type": "function",
            "function": {
                "name": "lookup",
                "description": "Look a city up.",
                "parameters": {"type": "object", "properties": {"echo": {"type": "string"}}},
            },
        }
    ]
    completion = one.client().chat.completions.create(
        model="gpt-mock", messages=[{"role": "user", "content": "please call lookup"}], tools=tools
    )
    calls = completion.choices[0].message.tool_calls
    assert completion.choices[0].finish_reason == "tool_calls"
    assert calls is not None and calls[0].function.name == "lookup"
    assert json.loads(calls[0].function.arguments) == {"echo": "please call lookup"}


def test_embeddings_and_models(one: Setup) -> None:
    c = one.client()
    vectors = c.embeddings.create(model="gpt-mock", input=["a", "b"]).data
    assert len(vectors) == 2 and len(vectors[0].embedding) == 8
    assert vectors[0].embedding != vectors[1].embedding
    assert [m.id for m in c.models.list()] == ["gpt-mock"]


def test_unknown_model_is_a_404_in_openai_format(one: Setup) -> None:
    with pytest.raises(openai.NotFoundError) as info:
        one.client().chat.completions.create(
            model="nope", messages=[{"role": "user", "content": "x"}]
        )
    assert "gpt-mock" in str(info.value)  # the error lists the configured models


def test_missing_or_wrong_key_is_a_401(one: Setup) -> None:
    with pytest.raises(openai.AuthenticationError):
        one.client(key="sk-wrong").chat.completions.create(
            model="gpt-mock", messages=[{"role": "user", "content": "x"}]
        )


def test_invalid_parameters_name_the_field(one: Setup) -> None:
    mock = one.mock
    with pytest.raises(openai.BadRequestError) as info:
        one.client().chat.completions.create(
            model="gpt-mock",
            messages=[{"role": "wizard", "content": "x"}],  # type: ignore[misc]
        )
    assert "messages" in str(info.value)
    assert mock.count("/v1/chat/completions") == 0


def test_completions_and_responses_dialects(one: Setup) -> None:
    mock = one.mock
    c = one.client()
    completion = c.completions.create(model="gpt-mock", prompt=PROMPT)
    assert completion.choices[0].text == mock.answer_for(PROMPT)
    response = c.responses.create(model="gpt-mock", input=PROMPT)
    assert response.output_text == mock.answer_for(PROMPT)
    events = list(c.responses.create(model="gpt-mock", input=PROMPT, stream=True))
    deltas = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert deltas == mock.answer_for(PROMPT)
    assert events[-1].type == "response.completed"
