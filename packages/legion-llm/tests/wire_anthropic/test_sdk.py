"""The official `anthropic` SDK against a loopback server that parses and renders with the wire
module: what real clients see."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import anthropic
import pytest
from anthropic.types import Message, TextBlock, ThinkingBlock, ToolParam, ToolUseBlock

from legion.llm.canonical import ImagePart, TextPart, ToolResultPart

WEATHER: ToolParam = {
    "name": "weather",
    "description": "Forecast for a city",
    "input_schema": {
        "type": "object",
        "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
        "required": ["city"],
    },
}
PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n0000").decode()


def client(gateway: Any) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=gateway.base_url, api_key="x", max_retries=0)


def test_create_text(gateway: Any) -> None:
    message = client(gateway).messages.create(
        model="claude",
        max_tokens=50,
        system="Be brief.",
        messages=[{"role": "user", "content": "Hello there"}],
        metadata={"user_id": "u-1"},
    )
    assert message.id == "msg_abc"
    assert message.model == "claude"
    assert message.role == "assistant"
    assert isinstance(message.content[0], TextBlock)
    assert message.content[0].text == "echo: Hello there"
    assert message.stop_reason == "end_turn"
    assert message.usage.output_tokens == 7
    assert message.usage.input_tokens > 0
    received = gateway.received[-1]
    assert received.messages[0].text() == "Be brief."
    assert received.user == "u-1"


def test_create_with_tools_gives_tool_use_blocks(gateway: Any) -> None:
    message = client(gateway).messages.create(
        model="claude",
        max_tokens=50,
        tools=[WEATHER],
        tool_choice={"type": "any"},
        messages=[{"role": "user", "content": "Weather in Paris?"}],
    )
    assert message.stop_reason == "tool_use"
    tool = message.content[1]
    assert isinstance(tool, ToolUseBlock)
    assert (tool.id, tool.name, tool.input) == ("toolu_01", "weather", {"city": "Paris", "days": 3})
    assert gateway.received[-1].tool_choice.mode == "required"


def test_tool_results_and_images_are_accepted(gateway: Any) -> None:
    message = client(gateway).messages.create(
        model="claude",
        max_tokens=50,
        messages=[
            {"role": "user", "content": "Weather?"},
            {
                "role": "assistant",
                "content": [
                    {"type": "tool_use", "id": "toolu_1", "name": "weather", "input": {"city": "X"}}
                ],
            },
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": "toolu_1", "content": "sunny"},
                    {"type": "text", "text": "Look"},
                    {
                        "type": "image",
                        "source": {"type": "base64", "media_type": "image/png", "data": PNG},
                    },
                ],
            },
        ],
    )
    assert isinstance(message.content[0], TextBlock)
    assert message.content[0].text == "echo: Look [1 image(s)]"
    roles = [m.role for m in gateway.received[-1].messages]
    assert roles == ["user", "assistant", "tool", "user"]
    assert gateway.received[-1].messages[2].content == [
        ToolResultPart("toolu_1", [TextPart("sunny")])
    ]
    assert gateway.received[-1].messages[3].content[1] == ImagePart(f"data:image/png;base64,{PNG}")


def test_stream_text(gateway: Any) -> None:
    with client(gateway).messages.stream(
        model="claude", max_tokens=50, messages=[{"role": "user", "content": "stream me"}]
    ) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == "echo: stream me"
    assert final.id == "msg_abc"
    assert [b.type for b in final.content] == ["text"]
    assert isinstance(final.content[0], TextBlock)
    assert final.content[0].text == "echo: stream me"
    assert final.stop_reason == "end_turn"
    assert final.usage.output_tokens == 7
    assert final.usage.input_tokens == gateway_input_tokens(gateway)


def gateway_input_tokens(gateway: Any) -> int:
    from legion.llm.tokens import estimate_request

    return estimate_request(gateway.received[-1])


def test_stream_thinking_and_tool_use(gateway: Any) -> None:
    with client(gateway).messages.stream(
        model="thinker",
        max_tokens=50,
        tools=[WEATHER],
        messages=[{"role": "user", "content": "Weather in Paris?"}],
    ) as stream:
        kinds = [event.type for event in stream]
        final = stream.get_final_message()
    assert kinds[0] == "message_start" and kinds[-1] == "message_stop"
    assert [b.type for b in final.content] == ["thinking", "text", "tool_use"]
    thinking, text, tool = final.content
    assert isinstance(thinking, ThinkingBlock) and thinking.thinking == "Let me think."
    assert isinstance(text, TextBlock) and text.text == "Checking."
    assert isinstance(tool, ToolUseBlock)
    assert tool.input == {"city": "Paris", "days": 3}
    assert final.stop_reason == "tool_use"


def test_async_client_create_and_stream(gateway: Any) -> None:
    async def main() -> tuple[str, str]:
        async with anthropic.AsyncAnthropic(
            base_url=gateway.base_url, api_key="x", max_retries=0
        ) as aclient:
            message = await aclient.messages.create(
                model="claude", max_tokens=20, messages=[{"role": "user", "content": "async"}]
            )
            async with aclient.messages.stream(
                model="claude", max_tokens=20, messages=[{"role": "user", "content": "astream"}]
            ) as stream:
                streamed = "".join([chunk async for chunk in stream.text_stream])
        block = message.content[0]
        assert isinstance(block, TextBlock)
        return block.text, streamed

    assert asyncio.run(main()) == ("echo: async", "echo: astream")


def test_count_tokens(gateway: Any) -> None:
    short = client(gateway).messages.count_tokens(
        model="claude", messages=[{"role": "user", "content": "hi"}]
    )
    long = client(gateway).messages.count_tokens(
        model="claude",
        system="You are a helpful assistant. " * 20,
        messages=[{"role": "user", "content": "hi"}],
    )
    assert short.input_tokens > 0
    assert long.input_tokens > short.input_tokens


def test_missing_max_tokens_is_a_bad_request(gateway: Any) -> None:
    # messages.create checks its own arguments first, so send the body as a raw POST.
    with pytest.raises(anthropic.BadRequestError) as caught:
        client(gateway).post(
            "/v1/messages",
            cast_to=Message,
            body={"model": "claude", "messages": [{"role": "user", "content": "x"}]},
        )
    assert caught.value.status_code == 400
    body = caught.value.body
    assert isinstance(body, dict)
    assert body["error"] == {
        "type": "invalid_request_error",
        "message": "max_tokens: Field required",
    }


def test_unsupported_block_is_a_bad_request_naming_it(gateway: Any) -> None:
    with pytest.raises(anthropic.BadRequestError) as caught:
        client(gateway).messages.create(
            model="claude",
            max_tokens=5,
            messages=[
                {
                    "role": "user",
                    "content": [
                        {
                            "type": "document",
                            "source": {"type": "text", "media_type": "text/plain", "data": "x"},
                        }
                    ],
                }
            ],
        )
    assert "messages.0.content.0" in str(caught.value)


@pytest.mark.parametrize(
    ("model", "error", "status"),
    [
        ("fail-rate-limit", anthropic.RateLimitError, 429),
        ("fail-auth", anthropic.AuthenticationError, 401),
        ("fail-not-found", anthropic.NotFoundError, 404),
        ("fail-overloaded", anthropic.InternalServerError, 503),
        ("fail-upstream", anthropic.InternalServerError, 502),
    ],
)
def test_errors_raise_the_sdk_class(
    gateway: Any, model: str, error: type[anthropic.APIStatusError], status: int
) -> None:
    with pytest.raises(error) as caught:
        client(gateway).messages.create(
            model=model, max_tokens=5, messages=[{"role": "user", "content": "x"}]
        )
    assert caught.value.status_code == status
    assert isinstance(caught.value.body, dict)
    assert caught.value.body["type"] == "error"


def test_error_event_mid_stream_raises_in_the_sdk(gateway: Any) -> None:
    received: list[str] = []
    with (
        pytest.raises(anthropic.APIStatusError) as caught,
        client(gateway).messages.stream(
            model="fail-midstream", max_tokens=5, messages=[{"role": "user", "content": "abc"}]
        ) as stream,
    ):
        for chunk in stream.text_stream:
            received.append(chunk)
    assert "".join(received) == "echo: abc"
    assert "overloaded_error" in str(caught.value)
