"""Curation through the server: a resent history goes upstream curated, off the request path,
and only for conversations that asked for it."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import openai

from legion.llm.testing.gateway_server import GatewayServer
from legion.llm.testing.mock_upstream import MockUpstream

CONFIG_FILE = "\n".join(f"setting_{i} = {i * 7}" for i in range(400))


def history() -> list[dict[str, Any]]:
    call = {
        "id": "call_1",
        "type": "function",
        "function": {"name": "read_file", "arguments": json.dumps({"path": "app/settings.py"})},
    }
    return [
        {"role": "system", "content": "You are a coding agent."},
        {"role": "user", "content": "Read app/settings.py"},
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "call_1", "content": CONFIG_FILE},
        {"role": "assistant", "content": "Read it: 400 settings."},
        {"role": "user", "content": "What is setting_3?"},
        {"role": "assistant", "content": "21."},
        {"role": "user", "content": "And setting_4?"},
        {"role": "assistant", "content": "28."},
        {"role": "user", "content": "Thanks. Anything else?"},
    ]


def sent_chars(mock: MockUpstream) -> int:
    return len(json.dumps(mock.last_body("/v1/chat/completions")["messages"]))


def converse(running: GatewayServer, key: str, curation: str | None) -> int:
    """Two turns of one conversation; the characters of the history the client sent last."""
    headers = {"x-legion-conversation-id": "conv-1"}
    if curation is not None:
        headers["x-legion-curation"] = curation
    client = openai.OpenAI(
        base_url=running.url + "/v1", api_key=key, max_retries=0, default_headers=headers
    )
    messages = history()
    first = client.chat.completions.create(model="m", messages=messages)  # type: ignore[arg-type]
    store = running.gateway.curation
    deadline = time.monotonic() + 10
    while curation != "off" and (store is None or "conv-1" not in store.history):
        assert time.monotonic() < deadline, "the curation of the first turn never finished"
        time.sleep(0.02)
        store = running.gateway.curation
    messages += [
        {"role": "assistant", "content": first.choices[0].message.content},
        {"role": "user", "content": "One more question."},
    ]
    client.chat.completions.create(model="m", messages=messages)  # type: ignore[arg-type]
    return len(json.dumps(messages))


def test_the_second_turn_goes_upstream_curated(
    mocks: Callable[..., MockUpstream],
    gateway_factory: Callable[..., GatewayServer],
    openai_entry: Callable[..., dict[str, Any]],
    master_key: str,
) -> None:
    mock = mocks()
    running = gateway_factory([openai_entry("m", mock)], legion={"curation": {"enabled": True}})
    raw_chars = converse(running, master_key, None)
    upstream = mock.last_body("/v1/chat/completions")["messages"]
    assert sent_chars(mock) < raw_chars / 2  # the 400-line tool result was distilled
    assert upstream[-1] == {"role": "user", "content": "One more question."}
    assert any("app/settings.py" in json.dumps(m) for m in upstream)  # its identity kept
    roles = [m["role"] for m in upstream]
    assert roles.count("tool") == 1 and "tool_calls" in json.dumps(upstream)  # pairing kept


def test_a_conversation_can_opt_out_with_the_header(
    mocks: Callable[..., MockUpstream],
    gateway_factory: Callable[..., GatewayServer],
    openai_entry: Callable[..., dict[str, Any]],
    master_key: str,
) -> None:
    mock = mocks()
    running = gateway_factory([openai_entry("m", mock)], legion={"curation": {"enabled": True}})
    raw_chars = converse(running, master_key, "off")
    assert sent_chars(mock) >= raw_chars - 200  # sent as the client wrote it


def test_curation_is_off_unless_asked(
    mocks: Callable[..., MockUpstream],
    gateway_factory: Callable[..., GatewayServer],
    openai_entry: Callable[..., dict[str, Any]],
    master_key: str,
) -> None:
    mock = mocks()
    running = gateway_factory([openai_entry("m", mock)])
    client = openai.OpenAI(base_url=running.url + "/v1", api_key=master_key, max_retries=0)
    client.chat.completions.create(model="m", messages=history())  # type: ignore[arg-type]
    assert running.gateway.curation is None
    raw_chars = converse(running, master_key, "on")
    assert sent_chars(mock) < raw_chars / 2  # the header turned it on for this conversation
