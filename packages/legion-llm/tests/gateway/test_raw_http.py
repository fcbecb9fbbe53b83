"""Bad input over plain HTTP: the right status and the dialect's own error object."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from legion.llm.testing.gateway_server import GatewayServer
from legion.llm.testing.mock_upstream import MockUpstream

AUTH: dict[str, str] = {}


@pytest.fixture
def running(
    mocks: Callable[..., MockUpstream],
    gateway_factory: Callable[..., GatewayServer],
    openai_entry: Callable[..., dict[str, Any]],
    anthropic_entry: Callable[..., dict[str, Any]],
    master_key: str,
) -> GatewayServer:
    AUTH["authorization"] = f"Bearer {master_key}"
    mock = mocks()
    return gateway_factory(
        [openai_entry("gpt-mock", mock), anthropic_entry("claude-mock", mock)],
        legion={"server": {"max_body_bytes": 2048}},
    )


def post(running: GatewayServer, path: str, content: bytes, **headers: str) -> httpx.Response:
    return httpx.post(
        running.url + path,
        content=content,
        headers={"content-type": "application/json", **AUTH, **headers},
    )


def test_malformed_json_is_a_400_in_openai_format(running: GatewayServer) -> None:
    r = post(running, "/v1/chat/completions", b'{"model": "gpt-mock", "messages": [')
    assert r.status_code == 400
    error = r.json()["error"]
    assert error["type"] == "invalid_request_error" and "not valid JSON" in error["message"]


def test_malformed_json_is_a_400_in_anthropic_format(running: GatewayServer) -> None:
    r = post(running, "/v1/messages", b"{nope")
    assert r.status_code == 400
    body = r.json()
    assert body["type"] == "error" and body["error"]["type"] == "invalid_request_error"


def test_body_over_the_limit_is_a_413_naming_the_setting(running: GatewayServer) -> None:
    big = (
        b'{"model": "gpt-mock", "messages": [{"role": "user", "content": "' + b"x" * 4096 + b'"}]}'
    )
    r = post(running, "/v1/chat/completions", big)
    assert r.status_code == 413
    assert "max_body_bytes" in r.json()["error"]["message"]


def test_unknown_route_is_a_404_not_a_traceback(running: GatewayServer) -> None:
    r = httpx.get(running.url + "/v1/nothing-here", headers=AUTH)
    assert r.status_code == 404
    assert "error" in r.json() and "Traceback" not in r.text


def test_health_and_metrics(running: GatewayServer) -> None:
    assert httpx.get(running.url + "/health").json()["status"] == "ok"
    post(
        running,
        "/v1/chat/completions",
        b'{"model": "gpt-mock", "messages": [{"role": "user", "content": "hi"}]}',
    )
    metrics = httpx.get(running.url + "/metrics").text
    assert 'legion_llm_requests_total{dialect="openai",model="gpt-mock",status="ok"} 1.0' in metrics
    providers = httpx.get(running.url + "/health/providers", headers=AUTH)
    assert providers.status_code == 200
    assert httpx.get(running.url + "/health/providers").status_code == 401


def test_x_api_key_header_works_too(running: GatewayServer) -> None:
    r = httpx.post(
        running.url + "/v1/messages",
        json={
            "model": "claude-mock",
            "max_tokens": 50,
            "messages": [{"role": "user", "content": "hi"}],
        },
        headers={"x-api-key": AUTH["authorization"].removeprefix("Bearer ")},
    )
    assert r.status_code == 200 and r.json()["type"] == "message"
