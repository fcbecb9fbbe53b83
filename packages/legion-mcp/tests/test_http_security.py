"""HTTP: tokens as digests in constant time, 401 without one, 403 for foreign origins."""

from __future__ import annotations

from typing import Any

import anyio
import httpx
import pytest

from legion.core.errors import UsageError
from legion.mcp.auth import TokenVerifierSet, digest, http_auth, is_loopback, mint
from legion.mcp.origin import origin_allowed
from legion.mcp.server import build_server
from legion.mcp.transports import http_app

INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "t", "version": "0"},
    },
}
HEADERS = {"accept": "application/json, text/event-stream", "content-type": "application/json"}


def post(app: Any, headers: dict[str, str]) -> httpx.Response:
    async def main() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
            return await c.post("/mcp", json=INIT, headers={**HEADERS, **headers})

    return anyio.run(main)


def test_minted_tokens_verify_only_against_their_digest() -> None:
    token, hashed = mint()
    assert hashed == digest(token) and len(hashed) == 64 and token not in hashed
    verifier = TokenVerifierSet([digest("other"), "sha256:" + hashed])
    found = anyio.run(verifier.verify_token, token)
    assert found is not None and found.client_id == f"token:{hashed[:12]}"
    assert anyio.run(verifier.verify_token, "wrong") is None


def test_loopback_is_open_by_default_and_nothing_else_is() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0")
    assert http_auth("127.0.0.1", loopback_open=True, tokens=[]).verifier is None
    with pytest.raises(UsageError, match="needs a bearer token"):
        http_auth("0.0.0.0", loopback_open=True, tokens=[])
    with pytest.raises(UsageError, match="loopback_open off"):
        http_auth("127.0.0.1", loopback_open=False, tokens=[])
    assert http_auth("0.0.0.0", loopback_open=True, tokens=[digest("t")]).verifier is not None


def test_without_a_token_http_answers_401(backend: Any) -> None:
    policy = http_auth("127.0.0.1", loopback_open=False, tokens=[digest("secret")])
    served = http_app(build_server(backend), policy)
    assert post(served.app, {}).status_code == 401
    assert post(served.app, {"authorization": "Bearer nope"}).status_code == 401


def test_a_foreign_origin_is_refused(backend: Any) -> None:
    policy = http_auth("127.0.0.1", loopback_open=True, tokens=[])
    served = http_app(build_server(backend), policy, allowed_origins=["https://app.example"])
    response = post(served.app, {"origin": "https://evil.example"})
    assert response.status_code == 403 and "evil.example" in response.text
    assert origin_allowed("http://localhost:3000", frozenset())
    assert origin_allowed("https://app.example", frozenset({"https://app.example"}))
    assert not origin_allowed("https://localhost.evil.example", frozenset())
