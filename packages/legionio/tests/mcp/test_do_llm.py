"""The LLM tier of `legion do` as users run it: the CLI with `llm.*` settings against a loopback
OpenAI-compatible server, and tier 1 through a real legion-llm gateway in front of its mock
upstream (the gateway parses the request as OpenAI's API does and renders the tool call)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from legion.core.extensions.extension import Extension
from legion.core.registry import CapabilityRegistry
from legion.llm.testing.gateway_server import GatewayServer
from legion.llm.testing.mock_upstream import MockUpstream
from legion.mcp.intent import resolve
from legion.mcp.intent_llm import LlmEndpoint

LEGION = [sys.executable, "-c", "from legion.app.cli.main import legion; legion()"]


class PickHealthPing:
    """A chat-completions server that always calls `health__check__ping` with no arguments."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["content-length"])))
                owner.requests.append(body)
                call = {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "health__check__ping", "arguments": "{}"},
                }
                answer = {
                    "id": "chatcmpl-1",
                    "object": "chat.completion",
                    "created": 1700000000,
                    "model": body["model"],
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": None, "tool_calls": [call]},
                            "finish_reason": "tool_calls",
                        }
                    ],
                }
                data = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(30)


@pytest.fixture
def picker() -> Iterator[PickHealthPing]:
    server = PickHealthPing()
    try:
        yield server
    finally:
        server.close()


def legion_do(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*LEGION, "do", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **env},
    )


def test_legion_do_runs_what_the_model_picks(picker: PickHealthPing) -> None:
    env = {"LEGION_LLM__URL": picker.url, "LEGION_LLM__MODEL": "picker"}
    out = legion_do("--json", "check health", env=env)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["tier"] == 1 and data["chosen"] == "health.check.ping"
    assert data["reason"].startswith("the model (picker) chose it; tier 0: no clear winner")
    assert data["run"]["status"] == "completed" and data["run"]["result"]["status"] == "ok"
    offered = {t["function"]["name"] for t in picker.requests[0]["tools"]}
    assert {"health__check__ping", "health__check__run"} <= offered
    assert picker.requests[0]["tool_choice"] == "auto"

    human = legion_do("check health", env=env)
    assert human.returncode == 0, human.stderr
    assert "→ health.check.ping (tier 1: the model (picker) chose it" in human.stdout


def test_legion_do_lists_candidates_when_the_model_is_unreachable() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {"LEGION_LLM__URL": f"http://127.0.0.1:{port}", "LEGION_LLM__MODEL": "m"}
    out = legion_do("--json", "check health", env=env)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["chosen"] is None and data["run"] is None and data["tier"] == 0
    assert "LLM tier: cannot reach the LLM at" in data["reason"]
    assert [c["address"] for c in data["candidates"]][:2] == [
        "health.check.run",
        "health.check.ping",
    ]
    human = legion_do("check health", env=env)
    assert human.returncode == 0 and "Traceback" not in human.stderr + human.stdout
    assert "nothing run: no clear winner" in human.stdout and "cannot reach the LLM" in (
        human.stdout
    )


class Shout:
    def it(self, echo: str) -> dict[str, Any]:
        """Say the words out loud."""
        return {"loud": echo.upper()}


def test_tier_1_through_a_legion_llm_gateway(tmp_path: Path) -> None:
    """The gateway's mock upstream calls a tool when the prompt says `call <function name>`,
    with `{"echo": <prompt>}` as its arguments: valid for `shout.shout.it`, so tier 1 takes it."""
    registry = CapabilityRegistry()
    registry.add(Extension(name="shout", version="1.0", runners=[Shout]))
    master = "sk-gateway-master"
    with MockUpstream() as mock:
        config = {
            "model_list": [
                {
                    "model_name": "mock-gpt",
                    "litellm_params": {"model": "openai/mock-model", "api_base": mock.url + "/v1"},
                }
            ],
            "general_settings": {"master_key": master},
            "legion": {"ledger": {"url": f"sqlite:///{tmp_path / 'ledger.db'}"}},
        }
        path = tmp_path / "config.yaml"
        path.write_text(json.dumps(config))  # YAML is a superset of JSON
        with GatewayServer(path) as gateway:
            key = SecretStr(master)
            endpoint = LlmEndpoint(url=gateway.url, model="mock-gpt", api_key=key, timeout=60)
            text = "please call shout__shout__it"
            intent = resolve(text, registry, llm=endpoint)
            wrong_key = resolve(text, registry, llm=endpoint.model_copy(update={"api_key": None}))
    assert intent.tier == 1 and intent.chosen == "shout.shout.it"
    assert intent.args == {"echo": text}
    assert registry.get("shout.shout.it").invoke(intent.args) == {"loud": text.upper()}
    assert wrong_key.chosen is None and "answered 401" in wrong_key.reason
