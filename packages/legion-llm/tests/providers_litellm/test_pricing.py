"""Cost per call: configured prices first, litellm's map once loaded, None when unknown."""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType

import pytest

from legion.llm import pricing
from legion.llm.canonical import Usage
from legion.llm.deployment import Deployment


@pytest.fixture
def no_price_map() -> Iterator[None]:
    """Pricing as it is before the server has loaded the map; restored afterwards."""
    saved = pricing._price_map
    pricing.set_price_map(None)
    yield
    pricing.set_price_map(saved)


def _deployment(model: str, provider: str = "litellm", **fields: object) -> Deployment:
    return Deployment(
        id="d",
        model_name="alias",
        provider=provider,
        model=model,
        **fields,  # type: ignore[arg-type]
    )


def test_configured_prices(no_price_map: None) -> None:
    deployment = _deployment("local/thing", input_cost_per_token=1e-6, output_cost_per_token=2e-6)
    cost = pricing.cost_usd(deployment, Usage(input_tokens=1000, output_tokens=500))
    assert cost == pytest.approx(0.002)


def test_unknown_before_the_map_is_loaded(no_price_map: None) -> None:
    assert not pricing.price_map_loaded()
    usage = Usage(input_tokens=10, output_tokens=10)
    assert pricing.cost_usd(_deployment("openai/gpt-4o-mini"), usage) is None


def test_a_missing_price_only_matters_when_its_tokens_were_used(no_price_map: None) -> None:
    deployment = _deployment("embedder", input_cost_per_token=1e-7)
    assert pricing.cost_usd(deployment, Usage(input_tokens=100)) == pytest.approx(1e-5)
    assert pricing.cost_usd(deployment, Usage(input_tokens=100, output_tokens=1)) is None


def test_litellm_map_with_and_without_prefix(litellm: ModuleType) -> None:
    table = pricing.load_price_map()
    assert pricing.price_map_loaded()
    entry = table["gpt-4o-mini"]
    usage = Usage(input_tokens=1000, output_tokens=200)
    expected = 1000 * entry["input_cost_per_token"] + 200 * entry["output_cost_per_token"]
    assert expected > 0
    for deployment in (
        _deployment("openai/gpt-4o-mini"),
        _deployment("gpt-4o-mini", provider="openai"),
    ):
        assert pricing.cost_usd(deployment, usage) == pytest.approx(expected)


def test_configured_price_wins_over_the_map(litellm: ModuleType) -> None:
    pricing.load_price_map()
    deployment = _deployment(
        "openai/gpt-4o-mini", input_cost_per_token=0.0, output_cost_per_token=0.0
    )
    assert pricing.cost_usd(deployment, Usage(input_tokens=1000, output_tokens=1000)) == 0.0


def test_cache_reads_at_the_cache_price(litellm: ModuleType) -> None:
    entry = pricing.load_price_map()["gpt-4o-mini"]
    usage = Usage(input_tokens=1000, output_tokens=0, cache_read_tokens=400)
    expected = 600 * entry["input_cost_per_token"] + 400 * entry["cache_read_input_token_cost"]
    cost = pricing.cost_usd(_deployment("openai/gpt-4o-mini"), usage)
    assert cost == pytest.approx(expected)
    assert cost is not None and cost < 1000 * entry["input_cost_per_token"]


def test_unknown_model_stays_unknown(litellm: ModuleType) -> None:
    pricing.load_price_map()
    deployment = _deployment("openai/no-such-model-anywhere")
    assert pricing.cost_usd(deployment, Usage(input_tokens=5, output_tokens=5)) is None
