"""The mock's OpenAI routes, driven by the official `openai` SDK."""

from __future__ import annotations

import json

import openai
from openai.types.chat import ChatCompletionToolParam

from legion.llm.canonical import CONTINUE_PROMPT
from legion.llm.testing.mock_answers import embedding
from legion.llm.testing.mock_upstream import MockUpstream

WEATHER_TOOL: ChatCompletionToolParam = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}


def test_chat_non_stream_answers_deterministically(mock: MockUpstream, oai: openai.OpenAI) -> None:
    reply = oai.chat.completions.create(
        model="mock-model",
        messages=[
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": "hello there"},
        ],
    )
    assert reply.choices[0].message.content == mock.answer_for("hello there")
    assert reply.choices[0].finish_reason == "stop"
    assert reply.model == "mock-model"
    assert reply.usage is not None
    assert reply.usage.prompt_tokens == 4
    assert reply.usage.completion_tokens == 12
    assert mock.answer_for("hello there").startswith("Echo: hello there.")
    assert len(mock.answer_for("hello there").split()) == 12


def test_chat_stream_reassembles_with_usage(mock: MockUpstream, oai: openai.OpenAI) -> None:
    chunks = list(
        oai.chat.completions.create(
            model="mock-model",
            messages=[{"role": "user", "content": [{"type": "text", "text": "stream me"}]}],
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    texts = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    assert texts == mock.chunks_for("stream me")
    assert "".join(texts) == mock.answer_for("stream me")
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices]
    assert finishes[-1] == "stop"
    assert chunks[-1].choices == []
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == 12


def test_stream_without_include_usage_sends_no_usage(oai: openai.OpenAI) -> None:
    chunks = list(
        oai.chat.completions.create(
            model="mock-model", messages=[{"role": "user", "content": "hi"}], stream=True
        )
    )
    assert all(c.usage is None for c in chunks)
    assert all(c.choices for c in chunks)


def test_chunks_setting_groups_words() -> None:
    with MockUpstream(words=10, chunks=3) as mock:
        client = openai.OpenAI(base_url=mock.url + "/v1", api_key="k", max_retries=0)
        stream = client.chat.completions.create(
            model="m", messages=[{"role": "user", "content": "x"}], stream=True
        )
        texts = [c.choices[0].delta.content for c in stream if c.choices[0].delta.content]
        client.close()
    assert len(texts) == 3
    assert "".join(texts) == mock.answer_for("x")


def test_max_tokens_truncates_with_length(mock: MockUpstream, oai: openai.OpenAI) -> None:
    reply = oai.chat.completions.create(
        model="m", messages=[{"role": "user", "content": "cut"}], max_tokens=4
    )
    assert reply.choices[0].finish_reason == "length"
    assert reply.choices[0].message.content == "Echo: cut. word1 word2"


def test_tool_call_non_stream(oai: openai.OpenAI) -> None:
    reply = oai.chat.completions.create(
        model="m",
        messages=[{"role": "user", "content": "please call get_weather for Paris"}],
        tools=[WEATHER_TOOL],
    )
    choice = reply.choices[0]
    assert choice.finish_reason == "tool_calls"
    calls = choice.message.tool_calls
    assert calls is not None and len(calls) == 1
    call = calls[0]
    assert call.type == "function"
    assert call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"echo": "please call get_weather for Paris"}


def test_tool_call_streamed_in_fragments(oai: openai.OpenAI) -> None:
    stream = oai.chat.completions.create(
        model="m",
        messages=[{"role": "user", "content": "call get_weather"}],
        tools=[WEATHER_TOOL],
        stream=True,
    )
    fragments: list[str] = []
    names: list[str] = []
    finish = None
    for chunk in stream:
        choice = chunk.choices[0]
        finish = choice.finish_reason or finish
        for call in choice.delta.tool_calls or []:
            assert call.index == 0
            if call.function and call.function.name:
                names.append(call.function.name)
            if call.function and call.function.arguments:
                fragments.append(call.function.arguments)
    assert names == ["get_weather"]
    assert len(fragments) > 1
    assert json.loads("".join(fragments)) == {"echo": "call get_weather"}
    assert finish == "tool_calls"


def test_tool_result_turn_gets_text_not_another_call(
    mock: MockUpstream, oai: openai.OpenAI
) -> None:
    reply = oai.chat.completions.create(
        model="m",
        messages=[
            {"role": "user", "content": "call get_weather"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "c1",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": "{}"},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "c1", "content": "sunny"},
        ],
        tools=[WEATHER_TOOL],
    )
    assert reply.choices[0].message.tool_calls is None
    assert reply.choices[0].message.content == mock.answer_for("sunny")


def test_no_tool_call_without_tools(mock: MockUpstream, oai: openai.OpenAI) -> None:
    reply = oai.chat.completions.create(
        model="m", messages=[{"role": "user", "content": "call get_weather"}]
    )
    assert reply.choices[0].message.content == mock.answer_for("call get_weather")


def test_continuation_answers_only_the_rest(mock: MockUpstream, oai: openai.OpenAI) -> None:
    full = mock.answer_for("go on")
    partial = "".join(mock.chunks_for("go on")[:5]) + " "
    reply = oai.chat.completions.create(
        model="m",
        messages=[
            {"role": "user", "content": "go on"},
            {"role": "assistant", "content": partial},
            {"role": "user", "content": CONTINUE_PROMPT},
        ],
    )
    rest = reply.choices[0].message.content
    assert rest == full[len(partial.rstrip()) :]
    assert partial.rstrip() + (rest or "") == full
    assert reply.usage is not None
    assert reply.usage.completion_tokens == len(full.split()) - 5


def test_continuation_of_foreign_text_answers_in_full(
    mock: MockUpstream, oai: openai.OpenAI
) -> None:
    reply = oai.chat.completions.create(
        model="m",
        messages=[
            {"role": "user", "content": "go on"},
            {"role": "assistant", "content": "Something else entirely"},
            {"role": "user", "content": CONTINUE_PROMPT},
        ],
    )
    assert reply.choices[0].message.content == mock.answer_for("go on")


def test_embeddings_default_base64_decodes_to_the_vectors(
    mock: MockUpstream, oai: openai.OpenAI
) -> None:
    reply = oai.embeddings.create(model="embed", input=["alpha", "beta"])
    assert [d.index for d in reply.data] == [0, 1]
    assert reply.data[0].embedding == embedding("alpha", 8)
    assert reply.data[1].embedding == embedding("beta", 8)
    assert reply.data[0].embedding != reply.data[1].embedding
    assert mock.last_body("/v1/embeddings")["encoding_format"] == "base64"
    assert reply.usage.prompt_tokens == 2


def test_embeddings_float_and_dimensions(oai: openai.OpenAI) -> None:
    reply = oai.embeddings.create(
        model="embed", input="gamma", encoding_format="float", dimensions=20
    )
    assert reply.data[0].embedding == embedding("gamma", 20)
    assert len(reply.data[0].embedding) == 20


def test_models_list(oai: openai.OpenAI) -> None:
    assert [m.id for m in oai.models.list()] == ["mock-model"]


def test_legacy_completions(mock: MockUpstream, oai: openai.OpenAI) -> None:
    reply = oai.completions.create(model="m", prompt="old style")
    assert reply.choices[0].text == mock.answer_for("old style")
    stream = oai.completions.create(
        model="m", prompt="old style", stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)
    assert "".join(c.choices[0].text for c in chunks if c.choices) == mock.answer_for("old style")
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == 12


def test_request_bodies_and_counts_are_recorded(mock: MockUpstream, oai: openai.OpenAI) -> None:
    for text in ("one", "two"):
        oai.chat.completions.create(model="m", messages=[{"role": "user", "content": text}])
    assert mock.count("/v1/chat/completions") == 2
    assert [b["messages"][0]["content"] for b in mock.bodies("/v1/chat/completions")] == [
        "one",
        "two",
    ]
    mock.reset_stats()
    assert mock.requests == {}
