"""The official `openai` SDK against a loopback server built from the dialect's parse and render
functions: if the SDK reads our bytes into its own types, real clients will too."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import openai
import pytest

from legion.llm.canonical import ChatRequest, EmbeddingRequest, ImagePart

WEATHER_TOOL: Any = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "unit": {"type": "string"}},
        },
    },
}


@pytest.fixture
def client(gateway: Any) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{gateway.url}/v1", api_key="x", max_retries=0)


def last_request(gateway: Any) -> Any:
    return gateway.state.requests[-1]


# --- chat ---------------------------------------------------------------------------------------


def test_chat_plain(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(
        model="public",
        messages=[{"role": "system", "content": "s"}, {"role": "user", "content": "hello"}],
        temperature=0.3,
    )
    assert completion.object == "chat.completion"
    assert completion.model == "public"
    assert completion.choices[0].message.content == "echo: hello"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage is not None and completion.usage.total_tokens == 18


def test_chat_tool_call(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(
        model="public",
        messages=[{"role": "user", "content": "weather in Paris?"}],
        tools=[WEATHER_TOOL],
    )
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.tool_calls is not None
    call = choice.message.tool_calls[0]
    assert call.type == "function"
    assert call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "Paris", "unit": "c"}


def test_chat_image_input(client: openai.OpenAI, gateway: Any) -> None:
    completion = client.chat.completions.create(
        model="public",
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "what is it"},
                    {
                        "type": "image_url",
                        "image_url": {"url": "data:image/png;base64,iVBORw0K", "detail": "low"},
                    },
                ],
            }
        ],
    )
    assert completion.choices[0].message.content == "echo: what is it [images: 1]"
    request: ChatRequest = last_request(gateway)
    assert request.messages[0].content[1] == ImagePart("data:image/png;base64,iVBORw0K", "low")


def test_chat_stream_text_and_usage(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model="public",
        messages=[{"role": "user", "content": "stream me please"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "echo: stream me please"
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices]
    assert finishes[-1] == "stop" and set(finishes[:-1]) == {None}
    assert chunks[-1].choices == []
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 7


def test_chat_stream_tool_call_deltas_assemble(client: openai.OpenAI) -> None:
    with client.chat.completions.stream(
        model="public",
        messages=[{"role": "user", "content": "weather?"}],
        tools=[WEATHER_TOOL],
    ) as stream:
        for _ in stream:
            pass
        final = stream.get_final_completion()
    call = final.choices[0].message.tool_calls[0]  # type: ignore[index]
    assert call.id == "call_abc" and call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "Paris", "unit": "c"}
    assert final.choices[0].finish_reason == "tool_calls"


def test_chat_stream_error_midway_raises(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model="public", messages=[{"role": "user", "content": "fail midway"}], stream=True
    )
    seen: list[str] = []
    with pytest.raises(openai.APIError, match="upstream went away"):
        for chunk in stream:
            seen.append(chunk.choices[0].delta.content or "")
    assert "".join(seen) == "echo: fail midway"


def test_async_client_chat_and_stream(gateway: Any) -> None:
    async def main() -> tuple[str | None, str]:
        async with openai.AsyncOpenAI(
            base_url=f"{gateway.url}/v1", api_key="x", max_retries=0
        ) as client:
            plain = await client.chat.completions.create(
                model="public", messages=[{"role": "user", "content": "async"}]
            )
            stream = await client.chat.completions.create(
                model="public", messages=[{"role": "user", "content": "async stream"}], stream=True
            )
            parts = [c.choices[0].delta.content or "" async for c in stream if c.choices]
            return plain.choices[0].message.content, "".join(parts)

    plain, streamed = asyncio.run(main())
    assert plain == "echo: async"
    assert streamed == "echo: async stream"


# --- errors -------------------------------------------------------------------------------------


def test_bad_request_names_the_param(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(
            model="public",
            messages=[{"role": "user", "content": [{"type": "video", "video": "x"}]}],  # type: ignore[list-item,misc]
        )
    assert caught.value.status_code == 400
    assert caught.value.param == "messages[0].content[0].type"
    assert "video" in caught.value.message


def test_unsupported_is_a_bad_request(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(
            model="public", messages=[{"role": "user", "content": "x"}], n=3
        )
    assert caught.value.param == "n"


@pytest.mark.parametrize(
    ("kind", "exception", "status"),
    [
        ("rate_limit", openai.RateLimitError, 429),
        ("authentication", openai.AuthenticationError, 401),
        ("permission", openai.PermissionDeniedError, 403),
        ("not_found", openai.NotFoundError, 404),
        ("internal", openai.InternalServerError, 500),
        ("upstream", openai.InternalServerError, 502),
        ("overloaded", openai.InternalServerError, 503),
        ("timeout", openai.InternalServerError, 504),
    ],
)
def test_error_kinds_raise_the_sdk_class(
    client: openai.OpenAI, kind: str, exception: type[openai.APIStatusError], status: int
) -> None:
    with pytest.raises(exception) as caught:
        client.chat.completions.create(
            model="public", messages=[{"role": "user", "content": f"error:{kind}"}]
        )
    assert caught.value.status_code == status
    assert f"simulated {kind}" in caught.value.message
    if kind == "rate_limit":
        assert caught.value.response.headers["retry-after"] == "3"


# --- legacy completions -------------------------------------------------------------------------


def test_completions(client: openai.OpenAI, gateway: Any) -> None:
    completion = client.completions.create(model="public", prompt="Say this", max_tokens=5)
    assert completion.object == "text_completion"
    assert completion.choices[0].text == "echo: Say this"
    assert completion.usage is not None and completion.usage.prompt_tokens == 11
    request: ChatRequest = last_request(gateway)
    assert request.extra["legacy_completion"] is True and request.max_tokens == 5


def test_completions_stream(client: openai.OpenAI) -> None:
    stream = client.completions.create(
        model="public",
        prompt=["one prompt"],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    assert "".join(c.choices[0].text for c in chunks if c.choices) == "echo: one prompt"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].usage is not None and chunks[-1].usage.total_tokens == 18


def test_completions_several_prompts_unsupported(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.completions.create(model="public", prompt=["a", "b"])
    assert caught.value.param == "prompt"


# --- responses ----------------------------------------------------------------------------------


def test_responses_plain(client: openai.OpenAI, gateway: Any) -> None:
    response = client.responses.create(
        model="public", instructions="be nice", input="hi there", max_output_tokens=30
    )
    assert response.object == "response" and response.status == "completed"
    assert response.output_text == "echo: hi there"
    assert response.usage is not None and response.usage.total_tokens == 18
    request: ChatRequest = last_request(gateway)
    assert [m.role for m in request.messages] == ["system", "user"]
    assert request.max_tokens == 30


def test_responses_function_call(client: openai.OpenAI) -> None:
    response = client.responses.create(
        model="public",
        input=[{"role": "user", "content": [{"type": "input_text", "text": "weather?"}]}],
        tools=[
            {
                "type": "function",
                "name": "get_weather",
                "parameters": {"type": "object", "properties": {}},
                "strict": False,
            }
        ],
    )
    calls = [item for item in response.output if item.type == "function_call"]
    assert len(calls) == 1
    assert calls[0].call_id == "call_abc" and calls[0].name == "get_weather"
    assert json.loads(calls[0].arguments)["city"] == "Paris"


def test_responses_stream_events(client: openai.OpenAI) -> None:
    stream = client.responses.create(model="public", input="stream it", stream=True)
    events = list(stream)
    types = [e.type for e in events]
    assert types[:4] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
    ]
    assert types[-4:] == [
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert [e.sequence_number for e in events] == list(range(len(events)))
    deltas = [e.delta for e in events if e.type == "response.output_text.delta"]
    assert "".join(deltas) == "echo: stream it"
    completed = events[-1]
    assert completed.type == "response.completed"
    assert completed.response.output_text == "echo: stream it"


def test_responses_stream_helper_with_function_call(client: openai.OpenAI) -> None:
    with client.responses.stream(
        model="public",
        input="weather please",
        tools=[{"type": "function", "name": "get_weather", "parameters": {}, "strict": False}],
    ) as stream:
        kinds = [event.type for event in stream]
        final = stream.get_final_response()
    assert "response.function_call_arguments.delta" in kinds
    assert "response.function_call_arguments.done" in kinds
    call = final.output[0]
    assert call.type == "function_call"
    assert json.loads(call.arguments) == {"city": "Paris", "unit": "c"}


def test_responses_stateless_refusal(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(model="public", input="x", previous_response_id="resp_old")
    assert caught.value.param == "previous_response_id"
    assert "stateless" in caught.value.message


def test_responses_builtin_tool_refusal(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(model="public", input="x", tools=[{"type": "web_search"}])
    assert caught.value.param == "tools[0].type"


# --- embeddings and models ----------------------------------------------------------------------


def test_embeddings_default_base64(client: openai.OpenAI, gateway: Any) -> None:
    result = client.embeddings.create(model="emb", input=["a", "bcd"])
    assert [d.embedding for d in result.data] == [[0.5, -1.25, 1.0], [0.5, -1.25, 3.0]]
    request: EmbeddingRequest = last_request(gateway)
    assert request.extra["encoding_format"] == "base64"  # what the SDK asks for by default
    assert result.usage.prompt_tokens == 4


def test_embeddings_float(client: openai.OpenAI) -> None:
    result = client.embeddings.create(model="emb", input="xy", encoding_format="float")
    assert result.data[0].embedding == [0.5, -1.25, 2.0]


def test_embeddings_token_input_unsupported(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.embeddings.create(model="emb", input=[[1, 2, 3]])
    assert caught.value.param == "input"


def test_models(client: openai.OpenAI) -> None:
    names = [model.id for model in client.models.list()]
    assert names == ["alpha", "beta"]
    model = client.models.retrieve("alpha")
    assert (model.id, model.object, model.owned_by) == ("alpha", "model", "legion")
