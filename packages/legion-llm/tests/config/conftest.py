"""Config files written to a temporary directory, and an environment the loader looks in."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

# LiteLLM proxy's config.yaml as its docs show it, with no Legion keys at all.
LITELLM_CONFIG = """\
model_list:
  - model_name: gpt-4o
    litellm_params:
      model: openai/gpt-4o
      api_key: os.environ/OPENAI_API_KEY
      rpm: 500
    model_info:
      id: openai-gpt-4o
      max_input_tokens: 128000
      input_cost_per_token: 0.0000025
      output_cost_per_token: 0.00001
  - model_name: gpt-4o
    litellm_params:
      model: azure/gpt-4o-eu
      api_base: https://my-endpoint-europe.openai.azure.com/
      api_key: os.environ/AZURE_API_KEY
      api_version: "2024-06-01"
      timeout: 30
      stream_timeout: 10
  - model_name: claude-sonnet
    litellm_params:
      model: anthropic/claude-3-5-sonnet-20241022
      api_key: os.environ/ANTHROPIC_API_KEY
      extra_headers:
        anthropic-beta: prompt-caching-2024-07-31
  - model_name: claude-bedrock
    litellm_params:
      model: bedrock/anthropic.claude-3-5-sonnet-20240620-v1:0
      aws_access_key_id: os.environ/AWS_ACCESS_KEY_ID
      aws_secret_access_key: os.environ/AWS_SECRET_ACCESS_KEY
      aws_region_name: us-east-1
  - model_name: llama3
    litellm_params:
      model: ollama/llama3
      api_base: http://localhost:11434
  - model_name: text-embedding
    litellm_params:
      model: openai/text-embedding-3-small
      api_key: os.environ/OPENAI_API_KEY
    model_info:
      mode: embedding

litellm_settings:
  drop_params: true
  num_retries: 2
  request_timeout: 120
  set_verbose: false
  success_callback: ["langfuse"]
  cache: true

router_settings:
  routing_strategy: simple-shuffle
  fallbacks: [{"gpt-4o": ["claude-sonnet"]}, {"claude-sonnet": "claude-bedrock"}]
  context_window_fallbacks: [{"llama3": ["gpt-4o"]}]
  allowed_fails: 2
  cooldown_time: 30
  redis_host: os.environ/REDIS_HOST

general_settings:
  master_key: os.environ/LITELLM_MASTER_KEY
  database_url: os.environ/DATABASE_URL
  alerting: ["slack"]

environment_variables:
  AWS_ACCESS_KEY_ID: AKIAEXAMPLE
"""

SECRETS = {
    "OPENAI_API_KEY": "sk-openai-secret-1",
    "AZURE_API_KEY": "azure-secret-2",
    "ANTHROPIC_API_KEY": "sk-ant-secret-3",
    "AWS_SECRET_ACCESS_KEY": "aws-secret-4",
    "LITELLM_MASTER_KEY": "sk-master-secret-5",
}


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {**SECRETS, "LEGION_HOME": str(tmp_path / "home")}


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str], Path]:
    """Write YAML text (dedented) to config.yaml and return its path."""

    def _write(text: str) -> Path:
        path = tmp_path / "config.yaml"
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return _write


@pytest.fixture
def litellm_path(write: Callable[[str], Path]) -> Path:
    return write(LITELLM_CONFIG)


@pytest.fixture
def secrets() -> dict[str, str]:
    return dict(SECRETS)
