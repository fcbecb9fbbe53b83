"""The router's filters (each with its recorded reason), its scores and its order."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from legion.llm.canonical import (
    ChatRequest,
    EmbeddingRequest,
    ImagePart,
    Message,
    RouteHints,
    TextPart,
    Tool,
    ToolResultPart,
)
from legion.llm.config.gateway_config import GatewayConfig
from legion.llm.deployment import Deployment
from legion.llm.errors import ErrorKind, GatewayError
from legion.llm.routing.candidates import RoutePlan, Router
from legion.llm.routing.health_tracker import HealthTracker

MakeDeployment = Callable[..., Deployment]
MakeConfig = Callable[..., GatewayConfig]
MakeRequest = Callable[..., ChatRequest]


@pytest.fixture
def route(
    make_config: MakeConfig, make_request: MakeRequest, health: HealthTracker
) -> Callable[..., RoutePlan]:
    """route(deployments, request fields..., tokens=, config=..., **route kwargs)."""

    def _route(
        deployments: list[Deployment],
        *,
        config: dict[str, Any] | None = None,
        tokens: int = 10,
        model: str = "m",
        hints: RouteHints | None = None,
        **kwargs: Any,
    ) -> RoutePlan:
        request_fields = {k: kwargs.pop(k) for k in ("tools", "messages") if k in kwargs}
        request = make_request(model, hints=hints or RouteHints(), **request_fields)
        router = Router(make_config(deployments, **(config or {})), health)
        return router.route(request, estimated_tokens=tokens, **kwargs)

    return _route


def ids(plan: RoutePlan) -> list[str]:
    return [d.id for d in plan.candidates]


def reasons(plan: RoutePlan) -> dict[str, str]:
    return dict(plan.excluded)


def test_unknown_model_lists_configured_models(
    route: Callable[..., RoutePlan], make_deployment: MakeDeployment
) -> None:
    ds = [
        make_deployment("a", "gpt-4o"),
        make_deployment("b", "claude"),
        make_deployment("c", "llama"),
    ]
    with pytest.raises(GatewayError) as caught:
        route(ds, model="gpt-5")
    err = caught.value
    assert err.kind == ErrorKind.NOT_FOUND and err.param == "model"
    assert (
        err.message == "model 'gpt-5' is not configured; configured models: gpt-4o, claude, llama"
    )


def test_unknown_model_lists_only_what_the_key_may_use(
    route: Callable[..., RoutePlan], make_deployment: MakeDeployment
) -> None:
    ds = [make_deployment("a", "gpt-4o"), make_deployment("b", "claude")]
    with pytest.raises(GatewayError) as caught:
        route(ds, model="gpt-5", allowed_models={"claude"})
    assert caught.value.message.endswith("configured models: claude")


def test_model_not_allowed_for_the_key(
    route: Callable[..., RoutePlan], make_deployment: MakeDeployment
) -> None:
    with pytest.raises(GatewayError) as caught:
        route([make_deployment("a", "m")], allowed_models={"other"})
    assert caught.value.kind == ErrorKind.PERMISSION


def test_tiers_order_the_candidates_closest_first(
    route: Callable[..., RoutePlan], make_deployment: MakeDeployment
) -> None:
    ds = [
        make_deployment("frontier", tier="frontier"),
        make_deployment("cloud", tier="cloud"),
        make_deployment("local", tier="local"),
        make_deployment("fleet", tier="fleet"),
    ]
    plan = route(ds)
    assert ids(plan) == ["local", "fleet", "cloud", "frontier"]
    assert plan.scores["local"].total == 505.0  # 5 tiers x 100 + unknown cost (0.5) term 5
    assert plan.reason.startswith("model=m deployment=local tier=local score=505 (priority 0")


def test_priority_cost_and_health_order_within_a_tier(
    route: Callable[..., RoutePlan], make_deployment: MakeDeployment, health: HealthTracker
) -> None:
    cheap = make_deployment("cheap", tier="cloud", input_cost_per_token=1e-6)
    dear = make_deployment("dear", tier="cloud", input_cost_per_token=5e-6)
    preferred = make_deployment("preferred", tier="cloud", input_cost_per_token=5e-6, priority=20)
    plan = route([dear, cheap, preferred])
    assert ids(plan) == ["preferred", "cheap", "dear"]
    assert plan.scores["cheap"].cost == 10.0 and plan.scores["dear"].cost == 0.0
    for _ in range(10):
        health.record_success(preferred.instance, 30000.0)  # -50 for latency
    assert ids(route([dear, cheap, preferred])) == ["cheap", "dear", "preferred"]


def test_open_circuits_go_last_but_stay(
    route: Callable[..., RoutePlan], make_deployment: MakeDeployment, health: HealthTracker
) -> None:
    local = make_deployment("local", tier="local")
    cloud = make_deployment("cloud", tier="cloud")
    for _ in range(3):
        health.record_failure(local.instance)
    plan = route([local, cloud])
    assert ids(plan) == ["cloud", "local"]
    assert plan.states[local.instance] == "open"
    assert plan.excluded == []


def test_privacy_mode_from_config_excludes_cloud_tiers(
    route: Callable[..., RoutePlan], make_deployment: MakeDeployment
) -> None:
    ds = [
        make_deployment("local", tier="local"),
        make_deployment("cloud", tier="cloud"),
        make_deployment("frontier", tier="frontier"),
    ]
    plan = route(ds, config={"privacy": True})
    assert ids(plan) == ["local"]
    assert reasons(plan) == {
        "cloud": "privacy mode excludes tier cloud",
        "frontier": "privacy mode excludes tier frontier",
    }


def test_privacy_hint_from_the_request(
    route: Callable[..., RoutePlan], make_deployment: MakeDeployment
) -> None:
    ds = [make_deployment("fleet", tier="fleet"), make_deployment("cloud", tier="cloud")]
    assert ids(route(ds, hints=RouteHints(privacy=True))) == ["fleet"]
    assert ids(route(ds)) == ["fleet", "cloud"]


def test_privacy_with_nothing_private_is_a_permission_error(
    route: Callable[..., RoutePlan], make_deployment: MakeDeployment
) -> None:
    with pytest.raises(GatewayError) as caught:
        route([make_deployment("cloud", tier="cloud")], config={"privacy": True})
    assert caught.value.kind == ErrorKind.PERMISSION
    assert "cloud: privacy mode excludes tier cloud" in caught.value.message


def test_never_cloud_keeps_the_model_and_its_fallbacks_off_cloud(
    route: Callable[..., RoutePlan], make_deployment: MakeDeployment
) -> None:
    ds = [
        make_deployment("local", "m", tier="local", never_cloud=True),
        make_deployment("fb-fleet", "fb", tier="fleet"),
        make_deployment("fb-cloud", "fb", tier="cloud"),
    ]
    plan = route(ds, config={"fallbacks": {"m": ["fb"]}})
    assert ids(plan) == ["local", "fb-fleet"]
    assert reasons(plan)["fb-cloud"].startswith("never_cloud")
    # Without never_cloud the cloud fallback is allowed.
    ds[0] = make_deployment("local", "m", tier="local")
    assert ids(route(ds, config={"fallbacks": {"m": ["fb"]}})) == ["local", "fb-fleet", "fb-cloud"]


def test_context_fit_uses_90_percent_of_the_window(
    route: Callable[..., RoutePlan], make_deployment: MakeDeployment
) -> None:
    small = make_deployment("small", tier="local", context_window=10000)
    large = make_deployment("large", tier="cloud", context_window=200000)
    unknown = make_deployment("unknown", tier="cloud")
    assert ids(route([small, large, unknown], tokens=9000)) == ["small", "large", "unknown"]
    plan = route([small, large, unknown], tokens=9001)
    assert ids(plan) == ["large", "unknown"]
    assert reasons(plan)["small"] == "context: ~9001 tokens exceed 90% of the 10000-token window"


def test_context_too_large_everywhere_is_a_context_overflow(
    route: Callable[..., RoutePlan], make_deployment: MakeDeployment
) -> None:
    with pytest.raises(GatewayError) as caught:
        route([make_deployment("small", context_window=1000)], tokens=5000)
    assert caught.value.kind == ErrorKind.CONTEXT_OVERFLOW


def test_context_window_fallbacks_join_only_when_over_a_window(
    route: Callable[..., RoutePlan], make_deployment: MakeDeployment
) -> None:
    ds = [
        make_deployment("small", "m", tier="local", context_window=8000),
        make_deployment("big", "m-long", tier="cloud", context_window=128000),
    ]
    config = {"context_window_fallbacks": {"m": ["m-long"]}}
    assert ids(route(ds, config=config, tokens=1000)) == ["small"]
    plan = route(ds, config=config, tokens=50000)
    assert ids(plan) == ["big"]
    assert plan.models == ["m-long"]
    assert plan.reason.startswith("fallback from m: model=m-long deployment=big")


def test_fallbacks_come_after_the_primary_model_in_listed_order(
    route: Callable[..., RoutePlan], make_deployment: MakeDeployment
) -> None:
    ds = [
        make_deployment("fb2", "second", tier="local"),
        make_deployment("fb1", "first", tier="local"),
        make_deployment("p-cloud", "m", tier="cloud"),
        make_deployment("p-frontier", "m", tier="frontier"),
    ]
    plan = route(ds, config={"fallbacks": {"m": ["first", "second"]}})
    assert ids(plan) == ["p-cloud", "p-frontier", "fb1", "fb2"]
    assert plan.models == ["m", "first", "second"]


def test_fallback_models_the_key_may_not_use_are_left_out(
    route: Callable[..., RoutePlan], make_deployment: MakeDeployment
) -> None:
    ds = [make_deployment("p", "m"), make_deployment("fb", "other")]
    plan = route(ds, config={"fallbacks": {"m": ["other"]}}, allowed_models={"m"})
    assert ids(plan) == ["p"]
    assert reasons(plan) == {"fb": "not allowed for this key"}


def test_unusable_deployments_are_excluded(
    route: Callable[..., RoutePlan], make_deployment: MakeDeployment, health: HealthTracker
) -> None:
    health.mark_unusable("a", "401 bad key")
    plan = route([make_deployment("a"), make_deployment("b")])
    assert ids(plan) == ["b"]
    assert reasons(plan) == {"a": "unusable: 401 bad key"}


def test_tools_need_the_tools_capability_when_capabilities_are_declared(
    route: Callable[..., RoutePlan], make_deployment: MakeDeployment
) -> None:
    ds = [
        make_deployment("no-tools", tier="local", capabilities=frozenset({"streaming"})),
        make_deployment("tools", tier="cloud", capabilities=frozenset({"tools"})),
        make_deployment("undeclared", tier="frontier"),
    ]
    plan = route(ds, tools=[Tool("f", None, {})])
    assert ids(plan) == ["tools", "undeclared"]
    assert reasons(plan) == {"no-tools": "capability: lacks tools"}
    assert ids(route(ds)) == ["no-tools", "tools", "undeclared"]


@pytest.mark.parametrize(
    "content",
    [
        [ImagePart("https://x/img.png")],
        [ToolResultPart("t1", [TextPart("see"), ImagePart("data:image/png;base64,AA==")])],
    ],
)
def test_images_need_vision(
    route: Callable[..., RoutePlan], make_deployment: MakeDeployment, content: list[Any]
) -> None:
    ds = [
        make_deployment("text", tier="local", capabilities=frozenset({"tools"})),
        make_deployment("eyes", tier="cloud", capabilities=frozenset({"vision"})),
    ]
    plan = route(ds, messages=[Message("user", content)])
    assert ids(plan) == ["eyes"]
    assert reasons(plan) == {"text": "capability: lacks vision"}


def test_nothing_capable_is_unsupported(
    route: Callable[..., RoutePlan], make_deployment: MakeDeployment
) -> None:
    with pytest.raises(GatewayError) as caught:
        route([make_deployment("a", capabilities=frozenset({"chat"}))], tools=[Tool("f", None, {})])
    assert caught.value.kind == ErrorKind.UNSUPPORTED


def test_embeddings_operation(
    make_config: MakeConfig, make_deployment: MakeDeployment, health: HealthTracker
) -> None:
    ds = [
        make_deployment("chat-only", tier="local", capabilities=frozenset({"tools"})),
        make_deployment("embedder", tier="cloud", capabilities=frozenset({"embeddings"})),
        make_deployment("undeclared", tier="cloud"),
    ]
    router = Router(make_config(ds), health)
    plan = router.route(
        EmbeddingRequest("m", ["hello"]), estimated_tokens=2, operation="embeddings"
    )
    assert ids(plan) == ["embedder", "undeclared"]
    assert reasons(plan) == {"chat-only": "capability: lacks embeddings"}


def test_chat_skips_embedding_only_deployments(
    route: Callable[..., RoutePlan], make_deployment: MakeDeployment
) -> None:
    ds = [
        make_deployment("embedder", tier="local", capabilities=frozenset({"embeddings"})),
        make_deployment("chat", tier="cloud"),
    ]
    assert ids(route(ds)) == ["chat"]


def test_provider_hint_restricts_when_it_matches(
    route: Callable[..., RoutePlan], make_deployment: MakeDeployment
) -> None:
    ds = [
        make_deployment("local", tier="local"),
        make_deployment("claude", tier="frontier", provider="anthropic"),
        make_deployment("bedrock", tier="cloud", provider="litellm", model="bedrock/claude"),
    ]
    plan = route(ds, hints=RouteHints(provider="anthropic"))
    assert ids(plan) == ["claude"]
    assert reasons(plan) == {
        "local": "hint provider=anthropic",
        "bedrock": "hint provider=anthropic",
    }
    assert ids(route(ds, hints=RouteHints(provider="bedrock"))) == ["bedrock"]


def test_hints_that_match_nothing_are_ignored_with_a_note(
    route: Callable[..., RoutePlan], make_deployment: MakeDeployment
) -> None:
    ds = [make_deployment("local", tier="local"), make_deployment("cloud", tier="cloud")]
    plan = route(ds, hints=RouteHints(provider="mistral", tier="frontier"))
    assert ids(plan) == ["local", "cloud"]
    assert plan.notes == [
        "hint provider=mistral matches no candidate, ignored",
        "hint tier=frontier matches no candidate, ignored",
    ]
    assert "hint tier=frontier matches no candidate, ignored" in plan.reason


def test_tier_hint(route: Callable[..., RoutePlan], make_deployment: MakeDeployment) -> None:
    ds = [make_deployment("local", tier="local"), make_deployment("cloud", tier="cloud")]
    plan = route(ds, hints=RouteHints(tier="cloud"))
    assert ids(plan) == ["cloud"]
    assert "1 excluded" in plan.reason


@pytest.mark.parametrize("effort", ["high", "reasoning"])
def test_effort_prefers_reasoning_deployments(
    route: Callable[..., RoutePlan], make_deployment: MakeDeployment, effort: Any
) -> None:
    ds = [
        make_deployment("plain", tier="cloud", priority=10),
        make_deployment("thinker", tier="cloud", capabilities=frozenset({"reasoning"})),
    ]
    assert ids(route(ds)) == ["plain", "thinker"]
    plan = route(ds, hints=RouteHints(effort=effort))
    assert ids(plan) == ["thinker", "plain"]
    assert plan.scores["thinker"].effort == 25.0
    assert ids(route(ds, hints=RouteHints(effort="low"))) == ["plain", "thinker"]
