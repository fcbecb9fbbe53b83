"""`legion-llm serve` as a user runs it: a LiteLLM config.yaml, one command, the SDKs work; and a
broken config or an exposed bind without keys stops the start with a clear message."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest

from legion.llm.testing.mock_upstream import MockUpstream

CLI = [sys.executable, "-m", "legion.llm.cli"]

LITELLM_CONFIG = """\
model_list:
  - model_name: gpt-4o
    litellm_params:
      model: openai/gpt-4o
      api_base: {api_base}
      api_key: os.environ/OPENAI_API_KEY
  - model_name: claude-sonnet
    litellm_params:
      model: anthropic/claude-sonnet-4-5
      api_base: {anthropic_base}
      api_key: os.environ/ANTHROPIC_API_KEY
router_settings:
  routing_strategy: simple-shuffle
  num_retries: 2
  fallbacks: [{{"gpt-4o": ["claude-sonnet"]}}]
litellm_settings:
  drop_params: true
general_settings:
  master_key: os.environ/LITELLM_MASTER_KEY
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def mock() -> Iterator[MockUpstream]:
    with MockUpstream() as m:
        yield m


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "OPENAI_API_KEY": "sk-openai-test",
        "ANTHROPIC_API_KEY": "sk-ant-test",
        "LITELLM_MASTER_KEY": "sk-1234",
        "LEGION_HOME": str(tmp_path / "home"),
    }


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_litellm_config_serves_the_openai_sdk(
    tmp_path: Path, mock: MockUpstream, env: dict[str, str], workers: int
) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(LITELLM_CONFIG.format(api_base=mock.url + "/v1", anthropic_base=mock.url))
    port = free_port()
    server = subprocess.Popen(
        [*CLI, "serve", "--config", str(config), "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        client = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="sk-1234")
        deadline = time.monotonic() + 60
        while True:
            try:
                reply = client.chat.completions.create(
                    model="gpt-4o", messages=[{"role": "user", "content": "hello"}]
                )
                break
            except openai.APIConnectionError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)
        assert reply.choices[0].message.content == mock.answer_for("hello")
        assert sorted(m.id for m in client.models.list()) == ["claude-sonnet", "gpt-4o"]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.communicate(timeout=30)


def test_check_prints_the_deployments_as_json(
    tmp_path: Path, mock: MockUpstream, env: dict[str, str]
) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(LITELLM_CONFIG.format(api_base=mock.url + "/v1", anthropic_base=mock.url))
    result = run(["serve", "--config", str(config), "--check", "--json"], env)
    assert result.returncode == 0, result.stderr
    assert '"model_name": "claude-sonnet"' in result.stdout
    assert "sk-openai-test" not in result.stdout


def test_a_config_error_names_the_file_and_key_and_exits_2(
    tmp_path: Path, env: dict[str, str]
) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("model_list:\n  - model_name: x\n    litellm_params: {api_base: 3}\n")
    result = run(["serve", "--config", str(config)], env)
    assert result.returncode == 2
    assert "config.yaml" in result.stderr and "model_list[0].litellm_params" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_missing_secret_is_named(tmp_path: Path, mock: MockUpstream, env: dict[str, str]) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(LITELLM_CONFIG.format(api_base=mock.url + "/v1", anthropic_base=mock.url))
    del env["ANTHROPIC_API_KEY"]
    result = run(["serve", "--config", str(config)], env)
    assert result.returncode == 2
    assert "ANTHROPIC_API_KEY" in result.stderr and "model_list[1]" in result.stderr


def test_serving_beyond_loopback_without_keys_is_refused(
    tmp_path: Path, mock: MockUpstream, env: dict[str, str]
) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(
        f"model_list:\n  - model_name: m\n    litellm_params:\n"
        f"      model: openai/m\n      api_base: {mock.url}/v1\n"
    )
    result = run(["serve", "--config", str(config), "--host", "0.0.0.0"], env)
    assert result.returncode == 2
    assert "master_key" in result.stderr


def test_legion_llm_help_does_not_import_the_server(env: dict[str, str]) -> None:
    probe = (
        "import sys; from click.testing import CliRunner; from legion.llm.cli import main; "
        "r = CliRunner().invoke(main, ['--help']); assert r.exit_code == 0, r.output; "
        "print(sorted(m for m in ('litestar', 'aiohttp', 'litellm') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
