"""Tier 1 of `do`: a real OpenAI-compatible chat-completions server on loopback picks the tool.

The server here speaks the wire format (a `chat.completion` object with `tool_calls` whose
arguments are a JSON string) and records every request, so the tests check both what Legion
sends (the candidates as function tools, `tool_choice: "auto"`, the bearer key) and what it does
with the answer: run the chosen tool with the model's arguments, or list candidates when the
arguments do not fit, the model names something else, or the server fails.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import anyio
import pytest
from fastmcp import Client

from legion.core.settings import load_settings
from legion.mcp.intent import resolve
from legion.mcp.intent_llm import LlmEndpoint, function_name
from legion.mcp.options import ServerOptions
from legion.mcp.server import build_server

Reply = Callable[[dict[str, Any]], tuple[int, bytes]]


def completion(message: dict[str, Any], finish: str) -> tuple[int, bytes]:
    body = {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 1700000000,
        "model": "test-model",
        "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
        "usage": {"prompt_tokens": 50, "completion_tokens": 10, "total_tokens": 60},
    }
    return 200, json.dumps(body).encode()


def tool_call(name: str, arguments: Any) -> Reply:
    """The model calls `name` (an OpenAI function name) with `arguments`."""

    def reply(_: dict[str, Any]) -> tuple[int, bytes]:
        call = {
            "id": "call_1",
            "type": "function",
            "function": {"name": name, "arguments": json.dumps(arguments)},
        }
        message = {"role": "assistant", "content": None, "tool_calls": [call]}
        return completion(message, "tool_calls")

    return reply


def said(text: str) -> Reply:
    return lambda _: completion({"role": "assistant", "content": text}, "stop")


@dataclass
class FakeLlm:
    """A chat-completions server on a loopback port; `reply` decides each answer."""

    url: str
    reply: Reply = field(default=said("nothing fits"))
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)

    def endpoint(self, **overrides: Any) -> LlmEndpoint:
        values: dict[str, Any] = {"url": self.url, "model": "test-model", "api_key": "sk-test"}
        return LlmEndpoint(**{**values, **overrides})


@pytest.fixture
def llm() -> Iterator[FakeLlm]:
    fake = FakeLlm(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            body = json.loads(self.rfile.read(length))
            fake.paths.append(self.path)
            fake.headers.append({k.lower(): v for k, v in self.headers.items()})
            fake.requests.append(body)
            status, data = fake.reply(body)
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(30)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def do(backend: Any, endpoint: LlmEndpoint, text: str) -> dict[str, Any]:
    """`legion.do` through the MCP server (in memory) with tier 1 configured."""
    server = build_server(backend, options=ServerOptions(llm=endpoint))

    async def main() -> Any:
        async with Client(server) as client:
            return await client.call_tool("legion.do", {"text": text}, raise_on_error=False)

    result = anyio.run(main)
    assert not result.is_error, result.content
    out: dict[str, Any] = result.structured_content
    return out


def task_runs(backend: Any) -> list[dict[str, Any]]:
    return [params for op, params in backend.calls if op == "task.run"]


def test_the_candidates_go_to_the_model_as_tools_and_its_choice_runs(
    backend: Any, llm: FakeLlm
) -> None:
    llm.reply = tool_call("echo__echo__echo", {"text": "hello", "times": 2})
    out = do(backend, llm.endpoint(), "echo something")

    assert llm.paths == ["/v1/chat/completions"]
    assert llm.headers[0]["authorization"] == "Bearer sk-test"
    sent = llm.requests[0]
    assert sent["model"] == "test-model" and sent["tool_choice"] == "auto"
    assert sent["messages"][-1] == {"role": "user", "content": "echo something"}
    tools = {t["function"]["name"]: t for t in sent["tools"]}
    assert set(tools) == {"echo__echo__echo", "echo__echo__fail", "echo__echo__slow"}
    echo = tools["echo__echo__echo"]
    assert echo["type"] == "function"
    assert echo["function"]["parameters"] == backend.registry().get("echo.echo.echo").input_schema
    assert "Say `text` back" in echo["function"]["description"]

    assert out["tier"] == 1 and out["chosen"] == "echo.echo.echo"
    assert out["reason"].startswith("the model (test-model) chose it")
    assert out["args"] == {"text": "hello", "times": 2}
    assert out["llm"]["tool"] == "echo.echo.echo" and out["llm"]["problem"] is None
    assert out["run"]["status"] == "completed"
    assert out["run"]["result"] == {"text": "hellohello"}
    assert task_runs(backend)[0]["args"] == {"text": "hello", "times": 2}


def test_arguments_that_fail_the_schema_run_nothing(backend: Any, llm: FakeLlm) -> None:
    llm.reply = tool_call("echo__echo__echo", {"times": "many"})
    out = do(backend, llm.endpoint(), "echo something")
    assert out["chosen"] is None and out["run"] is None and out["tier"] == 0
    assert "LLM tier: the model chose echo.echo.echo, but invalid arguments" in out["reason"]
    assert "text: Field required" in out["reason"] and "times:" in out["reason"]
    assert out["candidates"][0]["address"] == "echo.echo.echo"
    assert out["llm"]["arguments"] == {"times": "many"}
    assert task_runs(backend) == []


def test_a_tool_that_was_not_offered_is_not_run(backend: Any, llm: FakeLlm) -> None:
    llm.reply = tool_call("clock__clock__tick", {})
    out = do(backend, llm.endpoint(), "echo something")
    assert out["chosen"] is None and task_runs(backend) == []
    assert (
        "the model called 'clock__clock__tick', which is not one of the candidates"
        in (out["reason"])
    )


def test_explicit_key_values_win_over_the_model(backend: Any, llm: FakeLlm) -> None:
    llm.reply = tool_call("echo__echo__echo", {"text": "model", "times": 3})
    intent = resolve("echo something times=1", backend.registry(), llm=llm.endpoint())
    assert intent.tier == 1 and intent.args == {"text": "model", "times": 1}


def test_a_confident_tier_0_never_asks_the_model(backend: Any, llm: FakeLlm) -> None:
    intent = resolve("tick the clock", backend.registry(), llm=llm.endpoint())
    assert intent.tier == 0 and intent.chosen == "clock.clock.tick" and llm.requests == []
    nothing = resolve("zebra crossing", backend.registry(), llm=llm.endpoint())
    assert nothing.chosen is None and nothing.llm is None and llm.requests == []


def test_a_server_that_is_down_falls_back_to_candidates(backend: Any) -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    out = do(backend, LlmEndpoint(url=url, model="m", timeout=10), "echo something")
    assert out["chosen"] is None and out["run"] is None
    assert f"LLM tier: cannot reach the LLM at {url}/v1/chat/completions: " in out["reason"]
    assert "refused" in out["reason"]
    assert len(out["candidates"]) == 3 and task_runs(backend) == []


@pytest.mark.parametrize(
    ("reply", "problem"),
    [
        (
            lambda _: (401, b'{"error": {"message": "bad key", "type": "invalid_request_error"}}'),
            "answered 401: bad key",
        ),
        (lambda _: (500, b"upstream exploded"), "answered 500: upstream exploded"),
        (lambda _: (200, b"<html>not json</html>"), "answered something that is not JSON"),
        (lambda _: (200, b'{"choices": []}'), "the LLM's answer has no choices[0].message"),
        (said("None of these fit."), "the model called no tool (it said: None of these fit.)"),
        (tool_call("echo__echo__echo", []), "arguments for 'echo__echo__echo' are not a JSON"),
    ],
)
def test_a_failing_model_falls_back_with_the_problem_named(
    backend: Any, llm: FakeLlm, reply: Reply, problem: str
) -> None:
    llm.reply = reply
    intent = resolve("echo something", backend.registry(), llm=llm.endpoint())
    assert intent.chosen is None and intent.tier == 0
    assert problem in intent.reason, intent.reason
    assert intent.llm is not None and intent.llm.problem is not None
    assert len(intent.candidates) == 3


def test_a_server_that_does_not_speak_http_falls_back(backend: Any) -> None:
    """Something listens on the port but answers garbage (no HTTP status line)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)

    def answer_garbage() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)
            conn.sendall(b"SSH-2.0-OpenSSH_9.6\r\n")

    thread = threading.Thread(target=answer_garbage, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    try:
        intent = resolve("echo something", backend.registry(), llm=LlmEndpoint(url=url, model="m"))
    finally:
        thread.join(30)
        listener.close()
    assert intent.chosen is None and "LLM tier: the LLM at" in intent.reason
    assert "broke off its answer (BadStatusLine)" in intent.reason


def test_a_model_name_is_required(backend: Any, llm: FakeLlm) -> None:
    intent = resolve("echo something", backend.registry(), llm=llm.endpoint(model=None))
    assert intent.chosen is None and "llm.model is not set" in intent.reason
    assert llm.requests == []


def test_endpoint_urls_and_function_names() -> None:
    def chat(url: str) -> str:
        return LlmEndpoint(url=url).chat_url

    assert chat("http://h:4000") == "http://h:4000/v1/chat/completions"
    assert chat("http://h:4000/v1/") == "http://h:4000/v1/chat/completions"
    assert chat("https://x/openai/v1/chat/completions") == "https://x/openai/v1/chat/completions"
    assert function_name("ping.ping.ping") == "ping__ping__ping"
    assert len(function_name("a." * 60)) == 64


def test_llm_settings_enable_tier_1_with_a_secret_key(tmp_path: Path) -> None:
    env = {
        "LEGION_HOME": str(tmp_path),
        "LEGION_SETTINGS_DIRS": str(tmp_path / "settings"),
        "LEGION_LLM__URL": "http://127.0.0.1:4000",
        "LEGION_LLM__MODEL": "gpt-4o-mini",
        "LEGION_LLM__API_KEY": "env://MY_LLM_KEY",
        "MY_LLM_KEY": "sk-from-env",
    }
    settings = load_settings(env=env, cwd=tmp_path)
    assert settings.llm.enabled  # the url alone turns it on
    endpoint = LlmEndpoint.from_settings(settings.llm)
    assert endpoint is not None and endpoint.model == "gpt-4o-mini"
    assert endpoint.api_key is not None and endpoint.api_key.get_secret_value() == "sk-from-env"
    assert "sk-from-env" not in repr(endpoint)
    shown = settings.redacted()["llm"]
    assert shown["api_key"] == "***REDACTED***" and shown["url"] == "http://127.0.0.1:4000"
    off = load_settings(env={**env, "LEGION_LLM__ENABLED": "false"}, cwd=tmp_path)
    assert LlmEndpoint.from_settings(off.llm) is None
    none = load_settings(env={"LEGION_HOME": str(tmp_path)}, cwd=tmp_path)
    assert not none.llm.enabled and LlmEndpoint.from_settings(none.llm) is None
