"""What /metrics shows after the gateway reports events."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from legion.llm.canonical import Usage
from legion.llm.metrics import GatewayMetrics

Labels = tuple[tuple[str, str], ...]


def samples(metrics: GatewayMetrics) -> dict[tuple[str, Labels], float]:
    body, _ = metrics.render()
    found: dict[tuple[str, Labels], float] = {}
    for family in text_string_to_metric_families(body.decode()):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_a_request_counts_everywhere() -> None:
    metrics = GatewayMetrics()
    for _ in range(2):
        metrics.observe_request(
            "fast", "openai", "ok", 0.3,
            ttft_seconds=0.04,
            usage=Usage(input_tokens=100, output_tokens=20, thinking_tokens=5),
            cost_usd=0.25,
        )  # fmt: skip
    metrics.observe_request("fast", "anthropic", "error", 12.0, cost_usd=None)
    got = samples(metrics)
    ok = (("dialect", "openai"), ("model", "fast"), ("status", "ok"))
    err = (("dialect", "anthropic"), ("model", "fast"), ("status", "error"))
    assert got[("legion_llm_requests_total", ok)] == 2
    assert got[("legion_llm_requests_total", err)] == 1
    fast = (("model", "fast"),)
    assert got[("legion_llm_tokens_total", (("direction", "input"), *fast))] == 200
    assert got[("legion_llm_tokens_total", (("direction", "output"), *fast))] == 40
    assert got[("legion_llm_tokens_total", (("direction", "thinking"), *fast))] == 10
    assert ("legion_llm_tokens_total", (("direction", "cache_read"), *fast)) not in got
    assert got[("legion_llm_cost_usd_total", fast)] == pytest.approx(0.5)
    assert got[("legion_llm_request_seconds_count", fast)] == 3
    assert got[("legion_llm_request_seconds_sum", fast)] == pytest.approx(12.6)
    assert got[("legion_llm_request_seconds_bucket", (("le", "0.5"), *fast))] == 2
    assert got[("legion_llm_ttft_seconds_count", fast)] == 2
    assert got[("legion_llm_ttft_seconds_bucket", (("le", "0.05"), *fast))] == 2


def test_attempts_and_failovers() -> None:
    metrics = GatewayMetrics()
    metrics.observe_attempt("openai", "gpt-4o", "ok")
    metrics.observe_attempt("openai", "gpt-4o", "timeout")
    metrics.observe_attempt("openai", "gpt-4o", "timeout")
    metrics.observe_failover("before_first_byte")
    metrics.observe_failover("mid_stream")
    metrics.observe_failover("mid_stream")
    got = samples(metrics)
    upstream = (("model", "gpt-4o"), ("outcome", "timeout"), ("provider", "openai"))
    assert got[("legion_llm_attempts_total", upstream)] == 2
    assert got[("legion_llm_failovers_total", (("kind", "mid_stream"),))] == 2
    assert got[("legion_llm_failovers_total", (("kind", "before_first_byte"),))] == 1


def test_circuit_states() -> None:
    metrics = GatewayMetrics()
    metrics.set_circuit("openai:a", "open")
    metrics.set_circuit("openai:b", "half_open")
    metrics.set_circuit("openai:c", "closed")
    metrics.set_circuit("openai:d", 2)
    got = samples(metrics)
    values = {
        dict(labels)["instance"]: value
        for (name, labels), value in got.items()
        if name == "legion_llm_circuit_state"
    }
    assert values == {"openai:a": 2, "openai:b": 1, "openai:c": 0, "openai:d": 2}
    metrics.set_circuit("openai:a", "closed")
    assert samples(metrics)[("legion_llm_circuit_state", (("instance", "openai:a"),))] == 0
    with pytest.raises(ValueError, match="unknown circuit state 'ajar'"):
        metrics.set_circuit("openai:a", "ajar")


def test_ledger_dropped_follows_the_writer() -> None:
    metrics = GatewayMetrics()
    assert samples(metrics)[("legion_llm_ledger_dropped_total", ())] == 0
    metrics.set_ledger_dropped(7)
    assert samples(metrics)[("legion_llm_ledger_dropped_total", ())] == 7


def test_gateways_in_one_process_keep_their_own_numbers() -> None:
    first, second = GatewayMetrics(), GatewayMetrics()
    first.observe_failover("mid_stream")
    assert ("legion_llm_failovers_total", (("kind", "mid_stream"),)) in samples(first)
    assert ("legion_llm_failovers_total", (("kind", "mid_stream"),)) not in samples(second)


def test_render_gives_the_text_format() -> None:
    body, content_type = GatewayMetrics().render()
    assert content_type.startswith("text/plain; version=")
    assert b"# TYPE legion_llm_requests_total counter" in body
    assert b"# TYPE legion_llm_request_seconds histogram" in body
    assert b"# TYPE legion_llm_circuit_state gauge" in body
