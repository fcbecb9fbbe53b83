"""A LiteLLM proxy config.yaml, as LiteLLM's docs write it, loads as it is."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from loguru import logger

from legion.llm.config import ConfigError, GatewayConfig, load_config
from legion.llm.deployment import Deployment


@pytest.fixture
def config(litellm_path: Path, env: dict[str, str]) -> GatewayConfig:
    return load_config(litellm_path, env=env)


def by_id(config: GatewayConfig) -> dict[str, Deployment]:
    return {d.id: d for d in config.deployments}


def test_every_model_entry_becomes_a_deployment_in_order(config: GatewayConfig) -> None:
    assert [d.id for d in config.deployments] == [
        "openai-gpt-4o",
        "gpt-4o#1",
        "claude-sonnet#2",
        "claude-bedrock#3",
        "llama3#4",
        "text-embedding#5",
    ]
    assert config.public_models() == [
        "gpt-4o",
        "claude-sonnet",
        "claude-bedrock",
        "llama3",
        "text-embedding",
    ]
    assert [d.id for d in config.by_name["gpt-4o"]] == ["openai-gpt-4o", "gpt-4o#1"]


def test_openai_entry_goes_direct_with_the_default_base(
    config: GatewayConfig, secrets: dict[str, str]
) -> None:
    d = by_id(config)["openai-gpt-4o"]
    assert (d.provider, d.model, d.api_base, d.tier) == (
        "openai",
        "gpt-4o",
        "https://api.openai.com/v1",
        "frontier",
    )
    assert d.api_key == secrets["OPENAI_API_KEY"]
    assert d.context_window == 128000
    assert d.input_cost_per_token == pytest.approx(2.5e-6)
    assert d.output_cost_per_token == pytest.approx(1e-5)
    # rpm is a router limit, not a litellm parameter.
    assert "rpm" not in d.params
    # No timeout of its own: litellm_settings.request_timeout.
    assert d.timeout == 120.0


def test_azure_entry_goes_through_litellm_with_its_params(config: GatewayConfig) -> None:
    d = by_id(config)["gpt-4o#1"]
    assert (d.provider, d.model, d.tier) == ("litellm", "azure/gpt-4o-eu", "cloud")
    assert d.api_base == "https://my-endpoint-europe.openai.azure.com"
    assert d.params == {"api_version": "2024-06-01"}
    assert (d.timeout, d.stream_timeout) == (30.0, 10.0)


def test_anthropic_entry_keeps_its_extra_headers(config: GatewayConfig) -> None:
    d = by_id(config)["claude-sonnet#2"]
    assert (d.provider, d.model, d.tier) == ("anthropic", "claude-3-5-sonnet-20241022", "frontier")
    assert d.headers == {"anthropic-beta": "prompt-caching-2024-07-31"}


def test_bedrock_entry_takes_aws_params_and_environment_variables_defaults(
    config: GatewayConfig, secrets: dict[str, str]
) -> None:
    d = by_id(config)["claude-bedrock#3"]
    assert (d.provider, d.tier) == ("litellm", "cloud")
    assert d.model == "bedrock/anthropic.claude-3-5-sonnet-20240620-v1:0"
    assert d.params["aws_region_name"] == "us-east-1"
    assert d.params["aws_access_key_id"] == "AKIAEXAMPLE"  # from environment_variables
    assert d.params["aws_secret_access_key"] == secrets["AWS_SECRET_ACCESS_KEY"]


def test_ollama_entry_uses_its_openai_compatible_endpoint(config: GatewayConfig) -> None:
    d = by_id(config)["llama3#4"]
    assert (d.provider, d.model, d.api_base, d.tier) == (
        "openai",
        "llama3",
        "http://localhost:11434/v1",
        "local",
    )


def test_embedding_mode_declares_the_embeddings_capability(config: GatewayConfig) -> None:
    assert by_id(config)["text-embedding#5"].capabilities == frozenset({"embeddings"})
    assert by_id(config)["openai-gpt-4o"].capabilities == frozenset()


def test_fallbacks_in_litellm_shape_become_a_mapping(config: GatewayConfig) -> None:
    assert config.fallbacks == {"gpt-4o": ["claude-sonnet"], "claude-sonnet": ["claude-bedrock"]}
    assert config.context_window_fallbacks == {"llama3": ["gpt-4o"]}


def test_litellm_settings_carry_over(config: GatewayConfig, secrets: dict[str, str]) -> None:
    assert config.master_key == secrets["LITELLM_MASTER_KEY"]
    assert config.drop_params is True
    assert config.num_retries == 2
    assert config.routing_strategy == "simple-shuffle"
    assert config.server.request_timeout == 120.0
    # allowed_fails 2 means the third failure cools the deployment down, for cooldown_time.
    assert config.health.failure_threshold == 3.0
    assert config.health.cooldown_seconds == 30.0


def test_legion_defaults_apply_without_a_legion_block(
    config: GatewayConfig, env: dict[str, str]
) -> None:
    assert config.privacy is False
    assert (config.escalation.enabled, config.escalation.max_attempts) == (True, 3)
    assert config.server.max_body_bytes == 4 * 1024 * 1024
    assert config.ledger.url == f"sqlite:///{Path(env['LEGION_HOME']) / 'llm-ledger.db'}"
    assert config.ledger.queue_size == 10000
    assert config.keys == []
    assert config.curation.enabled is False
    assert config.health.window_seconds == 300.0


def test_ledger_defaults_to_home_directory_without_legion_home(
    litellm_path: Path, secrets: dict[str, str]
) -> None:
    config = load_config(litellm_path, env=secrets)
    assert config.ledger.url == f"sqlite:///{Path.home() / '.legionio' / 'llm-ledger.db'}"


def test_environment_wins_over_environment_variables(
    litellm_path: Path, env: dict[str, str]
) -> None:
    config = load_config(litellm_path, env={**env, "AWS_ACCESS_KEY_ID": "AKIAFROMENV"})
    assert by_id(config)["claude-bedrock#3"].params["aws_access_key_id"] == "AKIAFROMENV"


@pytest.fixture
def debug_lines() -> Iterator[list[str]]:
    lines: list[str] = []
    sink = logger.add(lambda m: lines.append(str(m)), level="DEBUG", format="{message}")
    yield lines
    logger.remove(sink)


def test_unknown_litellm_keys_are_ignored_and_listed_at_debug(
    litellm_path: Path, env: dict[str, str], debug_lines: list[str]
) -> None:
    # REDIS_HOST and DATABASE_URL are unset: references under keys Legion ignores stay unread.
    assert "REDIS_HOST" not in env
    load_config(litellm_path, env=env)
    text = "".join(debug_lines)
    for key in (
        "litellm_settings.set_verbose",
        "litellm_settings.success_callback",
        "router_settings.redis_host",
        "general_settings.database_url",
        "general_settings.alerting",
    ):
        assert key in text


def test_empty_environment_variables_are_unset(write: Callable[[str], Path]) -> None:
    path = write(
        """\
        model_list:
          - model_name: a
            litellm_params: {model: openai/a, api_key: os.environ/EMPTY}
        environment_variables:
          EMPTY:
          PORT: 6379
        """
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={})
    assert "EMPTY is not set" in str(caught.value)
