"""Legion's own keys: per model (beside litellm_params or in model_info) and the top-level block."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from legion.llm.config import load_config

Write = Callable[[str], Path]

FULL = """\
model_list:
  - model_name: local-llama
    litellm_params:
      model: ollama/llama3
      input_cost_per_token: 0.5
    legion:
      priority: 7
      capabilities: [tools, streaming]
      context_window: 8192
      never_cloud: true
      input_cost_per_token: 0
      output_cost_per_token: 0
  - model_name: gpt-4o
    litellm_params:
      model: openai/gpt-4o
    model_info:
      max_input_tokens: 128000
      max_tokens: 16384
      legion:
        tier: cloud
        priority: 2
        capabilities: [tools, vision]
    legion:
      priority: 5
  - model_name: fleet-qwen
    litellm_params:
      model: openai/qwen
      api_base: https://qwen.example.com/v1
      input_cost_per_token: 0.000001
    legion: {tier: direct}
legion:
  privacy: true
  escalation: {enabled: false, max_attempts: 5}
  health:
    window_seconds: 120
    failure_threshold: 2.5
    cooldown_seconds: 10
    latency_penalty_ms: 2000
  server: {max_body_bytes: 1048576, request_timeout: 90}
  ledger: {url: "sqlite:////var/lib/legion/ledger.db", queue_size: 50}
  keys:
    - {name: team-a, key: sk-team-a, models: [gpt-4o], max_budget: 25.5}
    - {name: team-b, key: os.environ/TEAM_B}
    - name: team-c
      key_sha256: ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789
  curation:
    enabled: true
    preserve_recent_turns: 4
    target_context_tokens: 20000
    archive_dir: ~/arch
"""


def test_per_model_keys(write: Write) -> None:
    config = load_config(write(FULL), env={"TEAM_B": "sk-team-b"})
    llama, gpt, qwen = config.deployments
    assert (llama.tier, llama.priority, llama.context_window, llama.never_cloud) == (
        "local",
        7,
        8192,
        True,
    )
    assert llama.capabilities == frozenset({"tools", "streaming"})
    # Legion's cost wins over litellm_params'.
    assert (llama.input_cost_per_token, llama.output_cost_per_token) == (0.0, 0.0)
    # model_info.legion, overridden key by key by the legion block beside litellm_params.
    assert (gpt.tier, gpt.priority) == ("cloud", 5)
    assert gpt.capabilities == frozenset({"tools", "vision"})
    assert (gpt.context_window, gpt.max_output_tokens) == (128000, 16384)
    assert qwen.tier == "direct"
    assert qwen.input_cost_per_token == 1e-6


def test_top_level_block(write: Write) -> None:
    config = load_config(write(FULL), env={"TEAM_B": "sk-team-b"})
    assert config.privacy is True
    assert (config.escalation.enabled, config.escalation.max_attempts) == (False, 5)
    assert (
        config.health.window_seconds,
        config.health.failure_threshold,
        config.health.cooldown_seconds,
        config.health.latency_penalty_ms,
    ) == (120.0, 2.5, 10.0, 2000.0)
    assert (config.server.max_body_bytes, config.server.request_timeout) == (1048576, 90.0)
    assert (config.ledger.url, config.ledger.queue_size) == (
        "sqlite:////var/lib/legion/ledger.db",
        50,
    )
    assert config.curation.enabled is True
    assert config.curation.preserve_recent_turns == 4
    assert config.curation.target_context_tokens == 20000
    assert config.curation.archive_dir == Path("~/arch").expanduser()


def test_virtual_keys_hold_digests(write: Write) -> None:
    config = load_config(write(FULL), env={"TEAM_B": "sk-team-b"})
    a, b, c = config.keys
    assert a.key_sha256 == hashlib.sha256(b"sk-team-a").hexdigest()
    assert b.key_sha256 == hashlib.sha256(b"sk-team-b").hexdigest()
    assert c.key_sha256 == "abcdef0123456789" * 4
    assert a.models == frozenset({"gpt-4o"}) and a.max_budget == 25.5
    assert a.allows("gpt-4o") and not a.allows("local-llama")
    assert b.models is None and b.allows("local-llama")
    assert config.key_by_sha256(hashlib.sha256(b"sk-team-b").hexdigest()) is b
    assert config.key_by_sha256("0" * 64) is None


def test_legion_health_keys_win_over_litellm_cooldown(write: Write) -> None:
    text = FULL + "router_settings: {allowed_fails: 9, cooldown_time: 99}\n"
    config = load_config(write(text), env={"TEAM_B": "x"})
    assert (config.health.failure_threshold, config.health.cooldown_seconds) == (2.5, 10.0)
