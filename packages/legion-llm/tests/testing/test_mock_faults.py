"""Fault injection as the official SDKs see it: broken streams, error statuses in each dialect,
hangs, malformed bodies, faults that heal, and the HTTP control endpoint."""

from __future__ import annotations

import anthropic
import httpx
import openai
import pytest
from anthropic.types import MessageParam
from openai.types.chat import ChatCompletionMessageParam

from legion.llm.testing.faults import Fault
from legion.llm.testing.mock_upstream import MockUpstream

OAI_USER: list[ChatCompletionMessageParam] = [{"role": "user", "content": "hi"}]
CLAUDE_USER: list[MessageParam] = [{"role": "user", "content": "hi"}]


def _openai_stream(client: openai.OpenAI, got: list[str]) -> None:
    stream = client.chat.completions.create(model="m", messages=OAI_USER, stream=True)
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            got.append(chunk.choices[0].delta.content)


def _anthropic_stream(client: anthropic.Anthropic, got: list[str]) -> None:
    with client.messages.stream(model="m", max_tokens=64, messages=CLAUDE_USER) as stream:
        for text in stream.text_stream:
            got.append(text)


@pytest.mark.parametrize("k", [0, 1, 5])
def test_die_after_breaks_openai_stream(mock: MockUpstream, oai: openai.OpenAI, k: int) -> None:
    mock.set_fault("die_after", chunks=k)
    got: list[str] = []
    with pytest.raises((httpx.HTTPError, openai.APIError)):
        _openai_stream(oai, got)
    assert got == mock.chunks_for("hi")[:k]


@pytest.mark.parametrize("k", [0, 1, 5])
def test_die_after_breaks_anthropic_stream(
    mock: MockUpstream, claude: anthropic.Anthropic, k: int
) -> None:
    mock.set_fault("die_after", chunks=k)
    got: list[str] = []
    # The SDK vendors its own httpx, so its transport error class is not importable here.
    with pytest.raises(Exception) as caught:
        _anthropic_stream(claude, got)
    assert "incomplete" in str(caught.value) or "closed" in str(caught.value)
    assert got == mock.chunks_for("hi")[:k]


def test_die_after_cuts_a_non_stream_body(mock: MockUpstream, oai: openai.OpenAI) -> None:
    mock.set_fault("die_after")
    with pytest.raises((httpx.HTTPError, openai.APIError)):
        oai.chat.completions.create(model="m", messages=OAI_USER)


def test_429_is_rate_limit_with_retry_after(mock: MockUpstream, oai: openai.OpenAI) -> None:
    mock.set_fault("status", status=429, retry_after=7)
    with pytest.raises(openai.RateLimitError) as caught:
        oai.chat.completions.create(model="m", messages=OAI_USER)
    assert caught.value.response.headers["retry-after"] == "7"
    assert isinstance(caught.value.body, dict)
    assert caught.value.body["type"] == "rate_limit_error"


def test_429_in_anthropic_format(mock: MockUpstream, claude: anthropic.Anthropic) -> None:
    mock.set_fault("status", status=429)
    with pytest.raises(anthropic.RateLimitError) as caught:
        claude.messages.create(model="m", max_tokens=10, messages=CLAUDE_USER)
    assert caught.value.response.headers["retry-after"] == "1"
    assert caught.value.body == {
        "type": "error",
        "error": {"type": "rate_limit_error", "message": "mock upstream fault: status 429"},
    }


def test_529_is_overloaded_for_anthropic(mock: MockUpstream, claude: anthropic.Anthropic) -> None:
    mock.set_fault("status", status=529, message="busy")
    with pytest.raises(anthropic.APIStatusError) as caught:
        claude.messages.create(model="m", max_tokens=10, messages=CLAUDE_USER)
    assert caught.value.status_code == 529
    assert caught.value.body == {
        "type": "error",
        "error": {"type": "overloaded_error", "message": "busy"},
    }


@pytest.mark.parametrize("status", [500, 503])
def test_5xx_for_openai(mock: MockUpstream, oai: openai.OpenAI, status: int) -> None:
    mock.set_fault("status", status=status)
    with pytest.raises(openai.InternalServerError) as caught:
        oai.chat.completions.create(model="m", messages=OAI_USER)
    assert caught.value.status_code == status


def test_status_fault_applies_to_streams_too(mock: MockUpstream, oai: openai.OpenAI) -> None:
    mock.set_fault("status", status=500)
    with pytest.raises(openai.InternalServerError):
        _openai_stream(oai, [])


def test_api_key_is_enforced_in_both_dialects() -> None:
    with MockUpstream(api_key="right") as mock:
        wrong = openai.OpenAI(base_url=mock.url + "/v1", api_key="wrong", max_retries=0)
        with pytest.raises(openai.AuthenticationError):
            wrong.chat.completions.create(model="m", messages=OAI_USER)
        wrong.close()
        wrong_claude = anthropic.Anthropic(base_url=mock.url, api_key="wrong", max_retries=0)
        with pytest.raises(anthropic.AuthenticationError) as caught:
            wrong_claude.messages.create(model="m", max_tokens=5, messages=CLAUDE_USER)
        wrong_claude.close()
        assert isinstance(caught.value.body, dict)
        assert caught.value.body["error"]["type"] == "authentication_error"
        right = openai.OpenAI(base_url=mock.url + "/v1", api_key="right", max_retries=0)
        reply = right.chat.completions.create(model="m", messages=OAI_USER)
        right.close()
        right_claude = anthropic.Anthropic(base_url=mock.url, api_key="right", max_retries=0)
        message = right_claude.messages.create(model="m", max_tokens=50, messages=CLAUDE_USER)
        right_claude.close()
    assert reply.choices[0].message.content == mock.answer_for("hi")
    assert message.content[0].type == "text"


def test_hang_times_out_the_client(mock: MockUpstream) -> None:
    mock.set_fault("hang")
    client = openai.OpenAI(base_url=mock.url + "/v1", api_key="k", max_retries=0, timeout=0.2)
    with pytest.raises(openai.APITimeoutError):
        client.chat.completions.create(model="m", messages=OAI_USER)
    client.close()
    claude = anthropic.Anthropic(base_url=mock.url, api_key="k", max_retries=0, timeout=0.2)
    with pytest.raises(anthropic.APITimeoutError):
        claude.messages.create(model="m", max_tokens=5, messages=CLAUDE_USER)
    claude.close()


def test_slow_first_byte_beyond_the_read_timeout(mock: MockUpstream) -> None:
    mock.set_fault("slow_first_byte", seconds=2.0, times=1)
    client = openai.OpenAI(base_url=mock.url + "/v1", api_key="k", max_retries=0, timeout=0.2)
    with pytest.raises(openai.APITimeoutError):
        client.chat.completions.create(model="m", messages=OAI_USER)
    client.close()


def test_slow_first_byte_still_answers(mock: MockUpstream, oai: openai.OpenAI) -> None:
    mock.set_fault("slow_first_byte", seconds=0.01)
    reply = oai.chat.completions.create(model="m", messages=OAI_USER)
    assert reply.choices[0].message.content == mock.answer_for("hi")


def test_chunk_delay_longer_than_the_read_timeout_breaks_the_stream(mock: MockUpstream) -> None:
    mock.set_fault("chunk_delay", seconds=2.0)
    client = openai.OpenAI(base_url=mock.url + "/v1", api_key="k", max_retries=0, timeout=0.3)
    got: list[str] = []
    with pytest.raises((httpx.HTTPError, openai.APIError)):
        _openai_stream(client, got)
    client.close()
    assert got == mock.chunks_for("hi")[:1]


def test_malformed_non_stream_body(mock: MockUpstream, oai: openai.OpenAI) -> None:
    mock.set_fault("malformed")
    with pytest.raises(ValueError):
        oai.chat.completions.create(model="m", messages=OAI_USER)


def test_malformed_line_mid_stream(mock: MockUpstream, oai: openai.OpenAI) -> None:
    mock.set_fault("malformed", chunks=2)
    got: list[str] = []
    with pytest.raises(ValueError):
        _openai_stream(oai, got)
    assert got == mock.chunks_for("hi")[:2]


def test_malformed_line_in_anthropic_stream(
    mock: MockUpstream, claude: anthropic.Anthropic
) -> None:
    mock.set_fault("malformed", chunks=1)
    with pytest.raises(ValueError):
        _anthropic_stream(claude, [])


def test_times_heals_after_n_requests(mock: MockUpstream, oai: openai.OpenAI) -> None:
    mock.set_fault("status", status=503, times=2)
    for _ in range(2):
        with pytest.raises(openai.InternalServerError):
            oai.chat.completions.create(model="m", messages=OAI_USER)
    reply = oai.chat.completions.create(model="m", messages=OAI_USER)
    assert reply.choices[0].message.content == mock.answer_for("hi")
    assert mock.faults == []
    assert mock.count("/v1/chat/completions") == 3


def test_sdk_retries_recover_from_a_healing_fault(mock: MockUpstream) -> None:
    mock.set_fault("status", status=429, retry_after=0, times=1)
    client = openai.OpenAI(base_url=mock.url + "/v1", api_key="k", max_retries=1)
    reply = client.chat.completions.create(model="m", messages=OAI_USER)
    client.close()
    assert reply.choices[0].message.content == mock.answer_for("hi")
    assert mock.count("/v1/chat/completions") == 2


def test_route_filter_limits_a_fault(mock: MockUpstream, oai: openai.OpenAI) -> None:
    mock.set_fault("status", status=500, routes=("/v1/embeddings",))
    reply = oai.chat.completions.create(model="m", messages=OAI_USER)
    assert reply.choices[0].message.content == mock.answer_for("hi")
    with pytest.raises(openai.InternalServerError):
        oai.embeddings.create(model="e", input="x")


def test_faults_at_construction_and_combined() -> None:
    faults = [Fault("chunk_delay", seconds=0.001), Fault("die_after", chunks=2, times=1)]
    with MockUpstream(faults=faults) as mock:
        client = openai.OpenAI(base_url=mock.url + "/v1", api_key="k", max_retries=0)
        got: list[str] = []
        with pytest.raises((httpx.HTTPError, openai.APIError)):
            _openai_stream(client, got)
        assert got == mock.chunks_for("hi")[:2]
        again: list[str] = []
        _openai_stream(client, again)
        client.close()
        assert "".join(again) == mock.answer_for("hi")
        assert [f.mode for f in mock.faults] == ["chunk_delay"]


def test_http_fault_endpoint_and_stats(mock: MockUpstream, oai: openai.OpenAI) -> None:
    set_reply = httpx.post(
        mock.url + "/_mock/fault", json={"mode": "status", "status": 429, "times": 1}
    )
    assert set_reply.status_code == 200
    assert set_reply.json()["faults"][0]["status"] == 429
    with pytest.raises(openai.RateLimitError):
        oai.chat.completions.create(model="m", messages=OAI_USER)
    oai.chat.completions.create(model="m", messages=OAI_USER)
    stats = httpx.get(mock.url + "/_mock/stats").json()
    assert stats["requests"] == {"/v1/chat/completions": 2}
    assert stats["faults"] == []
    assert stats["bodies"][-1]["messages"] == OAI_USER

    many = {"faults": [{"mode": "hang", "routes": "/v1/embeddings"}, {"mode": "chunk_delay"}]}
    assert len(httpx.post(mock.url + "/_mock/fault", json=many).json()["faults"]) == 2
    assert [f.mode for f in mock.faults] == ["hang", "chunk_delay"]
    assert mock.faults[0].routes == ("/v1/embeddings",)
    httpx.post(mock.url + "/_mock/fault", json={"mode": "malformed", "add": True})
    assert len(mock.faults) == 3
    assert httpx.delete(mock.url + "/_mock/fault").json() == {"faults": []}
    assert mock.faults == []
    bad = httpx.post(mock.url + "/_mock/fault", json={"mode": "explode"})
    assert bad.status_code == 400
    httpx.post(mock.url + "/_mock/reset")
    assert mock.requests == {}


def test_invalid_json_body_is_a_400_in_the_dialect(mock: MockUpstream) -> None:
    reply = httpx.post(
        mock.url + "/v1/messages", content=b"{oops", headers={"content-type": "application/json"}
    )
    assert reply.status_code == 400
    assert reply.json()["type"] == "error"
    reply = httpx.post(mock.url + "/v1/chat/completions", content=b"{oops")
    assert reply.status_code == 400
    assert reply.json()["error"]["type"] == "invalid_request_error"
