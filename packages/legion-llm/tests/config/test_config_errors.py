"""Every config mistake names the file, the key path and the problem (and the line if known)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from legion.core.errors import ConfigError as CoreConfigError
from legion.llm.config import ConfigError, load_config

Write = Callable[[str], Path]

ONE_MODEL = """\
model_list:
  - model_name: gpt-4o
    litellm_params:
      model: openai/gpt-4o
"""


def error_of(path: Path, env: dict[str, str] | None = None) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load_config(path, env=env or {})
    return caught.value


def test_bad_yaml_syntax_names_the_line(write: Write) -> None:
    path = write(
        """\
        model_list:
          - model_name: gpt-4o
            litellm_params:
              model: openai/gpt-4o
             api_key: [unclosed
        """
    )
    err = error_of(path)
    assert str(path) in str(err)
    assert "invalid YAML" in str(err)
    assert err.line == 5
    assert f"{path}:5:" in str(err)


def test_missing_model_name(write: Write) -> None:
    path = write(
        """\
        model_list:
          - model_name: a
            litellm_params: {model: openai/a}
          - litellm_params:
              model: openai/gpt-4o
        """
    )
    err = error_of(path)
    assert err.key == "model_list[1].model_name"
    assert str(err).startswith(f"{path}:4: model_list[1].model_name: is required")
    assert err.hint is not None and "model_name" in err.hint


def test_wrong_type_on_a_key_we_use(write: Write) -> None:
    path = write(ONE_MODEL + "      timeout: soon\n")
    err = error_of(path)
    assert err.key == "model_list[0].litellm_params.timeout"
    assert "valid number" in err.problem
    assert "got a string" in err.problem
    assert err.line == 5


def test_wrong_type_of_a_section(write: Write) -> None:
    path = write(ONE_MODEL + "router_settings: [1, 2]\n")
    err = error_of(path)
    assert err.key == "router_settings"
    assert "got a list" in err.problem


def test_missing_env_var_names_key_and_variable(write: Write) -> None:
    path = write(ONE_MODEL + "      api_key: os.environ/OPENAI_API_KEY\n")
    err = error_of(path)
    assert err.key == "model_list[0].litellm_params.api_key"
    assert "OPENAI_API_KEY is not set" in str(err)
    assert err.hint is not None and "environment_variables" in err.hint


def test_missing_env_var_in_a_nested_header(write: Write) -> None:
    path = write(ONE_MODEL + "      extra_headers:\n        X-Token: env://HEADER_TOKEN\n")
    err = error_of(path)
    assert err.key == "model_list[0].litellm_params.extra_headers.X-Token"
    assert "HEADER_TOKEN" in str(err)


def test_unknown_fallback_target(write: Write) -> None:
    path = write(ONE_MODEL + "router_settings:\n  fallbacks: [{gpt-4o: [claude-sonet]}]\n")
    err = error_of(path)
    assert err.key == "router_settings.fallbacks[0].gpt-4o[0]"
    assert "unknown model_name 'claude-sonet'" in err.problem
    assert err.hint is not None and "gpt-4o" in err.hint


def test_unknown_fallback_source(write: Write) -> None:
    path = write(ONE_MODEL + "litellm_settings:\n  fallbacks: [{gpt-4: [gpt-4o]}]\n")
    err = error_of(path)
    assert err.key == "litellm_settings.fallbacks[0].gpt-4"
    assert err.hint is not None and "did you mean 'gpt-4o'" in err.hint


def test_bad_tier(write: Write) -> None:
    path = write(ONE_MODEL + "    legion:\n      tier: clod\n")
    err = error_of(path)
    assert err.key == "model_list[0].legion.tier"
    assert "'clod' is not allowed" in err.problem
    assert "frontier" in err.problem


def test_legion_block_with_a_typo_key(write: Write) -> None:
    path = write(ONE_MODEL + "legion:\n  escalaton:\n    enabled: false\n")
    err = error_of(path)
    assert err.key == "legion.escalaton"
    assert err.problem == "unknown key"
    assert err.hint == "did you mean 'escalation'?"
    assert err.line == 6


def test_legion_model_block_with_a_typo_key(write: Write) -> None:
    path = write(ONE_MODEL + "    model_info:\n      legion:\n        priorty: 3\n")
    err = error_of(path)
    assert err.key == "model_list[0].model_info.legion.priorty"
    assert err.hint == "did you mean 'priority'?"


def test_bad_capability(write: Write) -> None:
    path = write(ONE_MODEL + "    legion:\n      capabilities: [tools, telepathy]\n")
    err = error_of(path)
    assert err.key == "model_list[0].legion.capabilities[1]"
    assert "'telepathy'" in err.problem


def test_openai_compatible_prefix_needs_an_api_base(write: Write) -> None:
    path = write(
        """\
        model_list:
          - model_name: llama
            litellm_params:
              model: hosted_vllm/meta-llama/Llama-3-8B
        """
    )
    err = error_of(path)
    assert err.key == "model_list[0].litellm_params.api_base"
    assert "need an api_base" in err.problem


def test_empty_model_list(write: Write) -> None:
    err = error_of(write("model_list: []\n"))
    assert err.key == "model_list"


def test_file_not_found(tmp_path: Path) -> None:
    err = error_of(tmp_path / "nope.yaml")
    assert "nope.yaml" in str(err) and "file not found" in str(err)


def test_empty_file_and_non_mapping(write: Write) -> None:
    assert "empty" in error_of(write("")).problem
    assert "mapping" in error_of(write("- a\n- b\n")).problem


def test_duplicate_deployment_id(write: Write) -> None:
    path = write(
        """\
        model_list:
          - model_name: a
            litellm_params: {model: openai/a}
            model_info: {id: same}
          - model_name: b
            litellm_params: {model: openai/b}
            model_info: {id: same}
        """
    )
    err = error_of(path)
    assert err.key == "model_list[1].model_info.id"
    assert "model_list[0]" in err.problem


def test_never_cloud_on_a_cloud_deployment(write: Write) -> None:
    path = write(ONE_MODEL + "    legion: {never_cloud: true}\n")
    err = error_of(path)
    assert err.key == "model_list[0].legion.never_cloud"
    assert "frontier" in err.problem


def test_key_needs_exactly_one_of_key_and_digest(write: Write) -> None:
    path = write(ONE_MODEL + "legion:\n  keys:\n    - name: team\n")
    err = error_of(path)
    assert err.key == "legion.keys[0]"
    assert "exactly one of key and key_sha256" in err.problem


def test_key_allowed_models_must_exist(write: Write) -> None:
    path = write(ONE_MODEL + "legion:\n  keys:\n    - {name: team, key: k, models: [gpt-5]}\n")
    err = error_of(path)
    assert err.key == "legion.keys[0].models[0]"


def test_bad_key_digest(write: Write) -> None:
    path = write(ONE_MODEL + "legion:\n  keys:\n    - {name: team, key_sha256: abc}\n")
    err = error_of(path)
    assert err.key == "legion.keys[0].key_sha256"


def test_several_problems_are_counted(write: Write) -> None:
    path = write(
        """\
        model_list:
          - litellm_params: {}
        """
    )
    err = error_of(path)
    assert "more problem" in err.problem


def test_is_a_legion_config_error_for_the_cli(write: Write) -> None:
    err = error_of(write("model_list: 3\n"))
    assert isinstance(err, CoreConfigError)
    assert err.exit_code == 2
