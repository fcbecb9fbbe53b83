"""Resolved secrets reach the deployments but never a repr, a str or an error message."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from legion.llm.config import ConfigError, load_config
from legion.llm.config.secrets import Secret, SecretResolver, is_secret_name, reference_name

Write = Callable[[str], Path]


def test_no_secret_in_the_config_repr(
    litellm_path: Path, env: dict[str, str], secrets: dict[str, str]
) -> None:
    config = load_config(litellm_path, env=env)
    shown = repr(config) + str(config) + "".join(repr(d) for d in config.deployments)
    for value in secrets.values():
        assert value not in shown
    # The values are there all the same, for the clients to use.
    bedrock = config.by_name["claude-bedrock"][0]
    assert bedrock.params["aws_secret_access_key"] == secrets["AWS_SECRET_ACCESS_KEY"]
    assert "aws_secret_access_key" in repr(bedrock)


def test_inline_credentials_are_masked_too(write: Write) -> None:
    path = write(
        """\
        model_list:
          - model_name: a
            litellm_params:
              model: vertex_ai/gemini-pro
              vertex_credentials: inline-credential-text
              extra_headers: {Authorization: Bearer inline-token, X-Trace: visible}
        legion:
          ledger: {url: "postgresql://u:dbpass@db/ledger"}
        """
    )
    config = load_config(path, env={})
    shown = repr(config) + repr(config.deployments)
    assert "inline-credential-text" not in shown
    assert "inline-token" not in shown
    assert "dbpass" not in shown
    assert "visible" in shown
    assert config.ledger.url == "postgresql://u:dbpass@db/ledger"


def test_env_scheme_resolves_like_os_environ(write: Write) -> None:
    path = write(
        """\
        model_list:
          - model_name: a
            litellm_params: {model: openai/a, api_key: env://MY_KEY}
        general_settings: {master_key: env://MASTER}
        """
    )
    config = load_config(path, env={"MY_KEY": "k-1", "MASTER": "m-1"})
    assert config.deployments[0].api_key == "k-1"
    assert config.master_key == "m-1"
    assert "m-1" not in repr(config)


def test_a_resolved_value_is_validated_without_quoting_it(write: Write) -> None:
    path = write(
        """\
        model_list:
          - model_name: a
            litellm_params: {model: openai/a, timeout: os.environ/TIMEOUT}
        """
    )
    assert load_config(path, env={"TIMEOUT": "45"}).deployments[0].timeout == 45.0
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={"TIMEOUT": "sk-looks-secret"})
    assert caught.value.key == "model_list[0].litellm_params.timeout"
    assert "sk-looks-secret" not in str(caught.value)


def test_a_virtual_key_keeps_only_its_digest(write: Write) -> None:
    path = write(
        """\
        model_list:
          - model_name: a
            litellm_params: {model: openai/a}
        legion:
          keys:
            - {name: plain, key: sk-team-plain}
            - {name: from-env, key: os.environ/TEAM_KEY}
        """
    )
    config = load_config(path, env={"TEAM_KEY": "sk-team-env"})
    shown = repr(config)
    assert "sk-team-plain" not in shown and "sk-team-env" not in shown


def test_secret_string_behaviour() -> None:
    value = Secret("hunter2")
    assert value == "hunter2" and f"{value}" == "hunter2" and str(value) == "hunter2"
    assert repr(value) == "'***'"
    assert "hunter2" not in repr({"password": value})


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("api_key", True),
        ("aws_secret_access_key", True),
        ("aws_session_token", True),
        ("vertex_credentials", True),
        ("Authorization", True),
        ("x-api-key", True),
        ("aws_access_key_id", False),
        ("max_tokens", False),
        ("aws_region_name", False),
    ],
)
def test_secret_names(name: str, secret: bool) -> None:
    assert is_secret_name(name) is secret


def test_reference_forms() -> None:
    assert reference_name("os.environ/A") == "A"
    assert reference_name("env://B") == "B"
    assert reference_name("plain") is None
    assert reference_name(3) is None


def test_resolver_looks_in_the_environment_then_the_defaults() -> None:
    resolver = SecretResolver({"A": "env"}, {"A": "default", "B": "default-b"})
    assert resolver.resolve("os.environ/A", ("k",)) == "env"
    assert resolver.resolve("env://B", ("k",)) == "default-b"
    assert resolver.resolve(7, ("k",)) == 7
    assert isinstance(resolver.resolve("env://A", ("k",)), Secret)
