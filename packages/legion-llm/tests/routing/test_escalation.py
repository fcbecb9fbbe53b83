"""Escalation order, what each error rules out, the attempt cap and the exhausted error."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from legion.llm.deployment import Deployment
from legion.llm.errors import ErrorKind, GatewayError, from_upstream_status
from legion.llm.routing.candidates import RoutePlan
from legion.llm.routing.escalation import Escalation, escalation_order
from legion.llm.routing.health_tracker import HealthTracker
from legion.llm.routing.scoring import score_all

MakeDeployment = Callable[..., Deployment]


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def health(clock: FakeClock) -> HealthTracker:
    return HealthTracker(clock=clock)


def plan_of(candidates: list[Deployment], health: HealthTracker) -> RoutePlan:
    """A plan in the given order, scored as the router would score it."""
    models = list(dict.fromkeys(d.model_name for d in candidates))
    return RoutePlan(
        model=models[0],
        candidates=candidates,
        scores=score_all(candidates, health, None),
        models=models,
    )


def drive(esc: Escalation, outcomes: dict[str, GatewayError | None]) -> list[str]:
    """Try deployments until one succeeds or none is left; unlisted ones fail upstream."""
    tried: list[str] = []
    while (d := esc.next()) is not None:
        tried.append(d.id)
        error = outcomes.get(d.id, GatewayError(ErrorKind.UPSTREAM, "boom", upstream=True))
        esc.report(d, error, 100.0)
        if error is None:
            break
    return tried


def err(kind: ErrorKind, message: str = "failed") -> GatewayError:
    return GatewayError(kind, message, upstream=True)


def test_order_is_primary_same_tier_higher_then_lower(
    make_deployment: MakeDeployment, health: HealthTracker
) -> None:
    fleet = make_deployment("fleet", tier="fleet")
    fleet2 = make_deployment("fleet2", tier="fleet", priority=-1)
    cloud = make_deployment("cloud", tier="cloud")
    frontier = make_deployment("frontier", tier="frontier")
    direct = make_deployment("direct", tier="direct")
    local = make_deployment("local", tier="local")
    # The plan's first candidate is the primary (say, local's circuit was open).
    plan = plan_of([fleet, frontier, local, fleet2, cloud, direct], health)
    order = [d.id for d in escalation_order(plan)]
    assert order == ["fleet", "fleet2", "cloud", "frontier", "direct", "local"]


def test_order_keeps_fallback_models_after_the_primary_model(
    make_deployment: MakeDeployment, health: HealthTracker
) -> None:
    ds = [
        make_deployment("p-local", "m", tier="local"),
        make_deployment("p-cloud", "m", tier="cloud"),
        make_deployment("fb-local", "fb", tier="local"),
    ]
    assert [d.id for d in escalation_order(plan_of(ds, health))] == [
        "p-local",
        "p-cloud",
        "fb-local",
    ]


def test_success_stops_and_is_recorded(
    make_deployment: MakeDeployment, health: HealthTracker
) -> None:
    a, b = make_deployment("a", tier="local"), make_deployment("b", tier="cloud")
    esc = Escalation(plan_of([a, b], health), 3, health)
    assert drive(esc, {"b": None}) == ["a", "b"]
    assert [(h.deployment_id, h.outcome, h.error_kind) for h in esc.history] == [
        ("a", "error", "upstream"),
        ("b", "ok", None),
    ]
    assert health.snapshot()["instances"][b.instance]["successes"] == 1
    assert health.snapshot()["instances"][a.instance]["failures"] == 1.0


def test_context_overflow_skips_the_rest_of_the_tier(
    make_deployment: MakeDeployment, health: HealthTracker
) -> None:
    ds = [
        make_deployment("c1", tier="cloud", context_window=8000),
        make_deployment("c2", tier="cloud", context_window=8000),
        make_deployment("c3", tier="cloud"),
        make_deployment("c-big", tier="cloud", context_window=200000),
        make_deployment("f1", tier="frontier"),
    ]
    esc = Escalation(plan_of(ds, health), 5, health)
    tried = drive(
        esc,
        {
            "c1": err(ErrorKind.CONTEXT_OVERFLOW),
            "c-big": err(ErrorKind.CONTEXT_OVERFLOW),
            "f1": None,
        },
    )
    assert tried == ["c1", "c-big", "f1"]
    skipped = {h.deployment_id: h for h in esc.history if h.outcome == "skipped"}
    assert set(skipped) == {"c2", "c3"}
    assert skipped["c2"].error_kind == "context_overflow"
    # A context overflow is the request's size, not the instance's health.
    assert health.state(ds[0].instance) == "closed"
    assert ds[0].instance not in health.snapshot()["instances"] or (
        health.snapshot()["instances"][ds[0].instance]["failures"] == 0.0
    )


def test_rate_limit_moves_to_just_the_next(
    make_deployment: MakeDeployment, health: HealthTracker
) -> None:
    # Same instance and model: a rate limit on one key says nothing about the other key.
    a = make_deployment("a", api_base="http://same/v1", model="gpt")
    b = make_deployment("b", api_base="http://same/v1", model="gpt")
    esc = Escalation(plan_of([a, b], health), 3, health)
    assert drive(esc, {"a": err(ErrorKind.RATE_LIMIT), "b": None}) == ["a", "b"]


def test_retryable_error_skips_the_same_provider_and_model(
    make_deployment: MakeDeployment, health: HealthTracker
) -> None:
    a = make_deployment("a", api_base="http://same/v1", model="gpt")
    b = make_deployment("b", api_base="http://same/v1", model="gpt")
    c = make_deployment("c", api_base="http://same/v1", model="other")
    d = make_deployment("d", api_base="http://elsewhere/v1", model="gpt")
    esc = Escalation(plan_of([a, b, c, d], health), 5, health)
    assert drive(esc, {"a": err(ErrorKind.OVERLOADED), "c": err(ErrorKind.TIMEOUT), "d": None}) == [
        "a",
        "c",
        "d",
    ]
    assert [h.deployment_id for h in esc.history if h.outcome == "skipped"] == ["b"]


def test_client_error_stops(make_deployment: MakeDeployment, health: HealthTracker) -> None:
    a, b = make_deployment("a"), make_deployment("b")
    esc = Escalation(plan_of([a, b], health), 3, health)
    bad = from_upstream_status(400, "messages: field required")
    assert drive(esc, {"a": bad}) == ["a"]
    assert esc.stop_error is bad
    assert esc.next() is None
    # The client's mistake is not held against the instance.
    assert health.snapshot()["instances"].get(a.instance, {"failures": 0.0})["failures"] == 0.0


def test_unusable_marks_the_deployment_and_continues(
    make_deployment: MakeDeployment, health: HealthTracker
) -> None:
    a, b = make_deployment("a"), make_deployment("b")
    esc = Escalation(plan_of([a, b], health), 3, health)
    assert drive(esc, {"a": from_upstream_status(401, "invalid x-api-key"), "b": None}) == [
        "a",
        "b",
    ]
    assert health.is_unusable("a")
    assert health.unusable_reason("a") == "invalid x-api-key"
    # A fresh escalation skips it without trying it.
    again = Escalation(plan_of([a, b], health), 3, health)
    assert again.next() is b
    assert [(h.deployment_id, h.outcome) for h in again.history] == [("a", "skipped")]


def test_open_circuits_are_tried_only_when_nothing_else_is_left(
    make_deployment: MakeDeployment, health: HealthTracker
) -> None:
    a, b, c = make_deployment("a"), make_deployment("b"), make_deployment("c")
    for _ in range(3):
        health.record_failure(a.instance)
    esc = Escalation(plan_of([a, b, c], health), 5, health)
    assert drive(esc, {}) == ["b", "c", "a"]


def test_half_open_instance_gets_one_probe(
    make_deployment: MakeDeployment, health: HealthTracker, clock: FakeClock
) -> None:
    a, b = make_deployment("a"), make_deployment("b")
    for _ in range(3):
        health.record_failure(a.instance)
    clock.now += 60
    first = Escalation(plan_of([a, b], health), 3, health)
    second = Escalation(plan_of([a, b], health), 3, health)
    assert first.next() is a  # the probe
    assert second.next() is b  # the probe is taken
    first.report(a, None, 50.0)
    assert health.state(a.instance) == "closed"


def test_probe_released_after_a_client_error(
    make_deployment: MakeDeployment, health: HealthTracker, clock: FakeClock
) -> None:
    a = make_deployment("a")
    for _ in range(3):
        health.record_failure(a.instance)
    clock.now += 60
    esc = Escalation(plan_of([a], health), 3, health)
    assert esc.next() is a
    esc.report(a, err(ErrorKind.INVALID_REQUEST), 5.0)
    assert health.state(a.instance) == "half_open"
    assert health.try_acquire(a.instance)


def test_at_most_max_attempts(make_deployment: MakeDeployment, health: HealthTracker) -> None:
    ds = [make_deployment(f"d{i}") for i in range(5)]
    esc = Escalation(plan_of(ds, health), 2, health)
    assert drive(esc, {}) == ["d0", "d1"]
    assert esc.attempts == 2


def test_iterates(make_deployment: MakeDeployment, health: HealthTracker) -> None:
    ds = [make_deployment("a"), make_deployment("b")]
    esc = Escalation(plan_of(ds, health), 3, health)
    seen = []
    for d in esc:
        seen.append(d.id)
        esc.report(d, err(ErrorKind.TIMEOUT), 1.0)
    assert seen == ["a", "b"]


def test_exhausted_error_lists_attempts(
    make_deployment: MakeDeployment, health: HealthTracker
) -> None:
    a = make_deployment("a", model_name="gpt-4o", tier="cloud")
    b = make_deployment("b", model_name="gpt-4o", tier="frontier")
    esc = Escalation(plan_of([a, b], health), 3, health)
    drive(
        esc,
        {
            "a": err(ErrorKind.TIMEOUT, "upstream timed out"),
            "b": err(ErrorKind.RATE_LIMIT, "slow down"),
        },
    )
    error = esc.exhausted_error()
    assert error.kind == ErrorKind.OVERLOADED and error.status == 503
    assert error.message == (
        "all 2 candidates failed: a (timeout: upstream timed out); b (rate_limit: slow down)"
    )
    assert error.retry_after == 1.0
    attempts = error.details["attempts"]
    assert [x["deployment_id"] for x in attempts] == ["a", "b"]
    assert attempts[0] == {
        "deployment_id": "a",
        "model_name": "gpt-4o",
        "provider": "openai",
        "model": "a",
        "tier": "cloud",
        "outcome": "error",
        "error_kind": "timeout",
        "message": "upstream timed out",
        "duration_ms": 100.0,
    }


def test_exhausted_retry_after_is_the_earliest_half_open(
    make_deployment: MakeDeployment, health: HealthTracker, clock: FakeClock
) -> None:
    a, b = make_deployment("a"), make_deployment("b")
    for _ in range(3):
        health.record_failure(a.instance)
    clock.now += 20
    for _ in range(3):
        health.record_failure(b.instance)
    clock.now += 0.5
    esc = Escalation(plan_of([a, b], health), 3, health)
    drive(esc, {})
    error = esc.exhausted_error()
    assert error.retry_after == 40.0  # a half-opens in 39.5 s
    assert error.message.startswith("all 2 candidates failed")


def test_long_messages_are_shortened(
    make_deployment: MakeDeployment, health: HealthTracker
) -> None:
    a = make_deployment("a")
    esc = Escalation(plan_of([a], health), 1, health)
    drive(esc, {"a": err(ErrorKind.UPSTREAM, "x" * 1000)})
    assert len(esc.history[0].message or "") == 200


def test_a_free_probe_goes_before_a_better_scored_peer_of_its_tier(
    make_deployment: MakeDeployment, health: HealthTracker, clock: FakeClock
) -> None:
    closed_peer = make_deployment("peer", tier="cloud")
    recovering = make_deployment("recovering", tier="cloud")
    for _ in range(3):
        health.record_failure(recovering.instance)
    clock.now += 60
    esc = Escalation(plan_of([closed_peer, recovering], health), 3, health)
    assert esc.next() is recovering
    esc.report(recovering, None, 10.0)
    assert health.state(recovering.instance) == "closed"


def test_a_probe_does_not_pull_requests_up_a_tier_or_to_a_fallback(
    make_deployment: MakeDeployment, health: HealthTracker, clock: FakeClock
) -> None:
    local = make_deployment("local", tier="local")
    frontier = make_deployment("frontier", tier="frontier")
    fallback = make_deployment("fb", model_name="fb", tier="local")
    for d in (frontier, fallback):
        for _ in range(3):
            health.record_failure(d.instance)
    clock.now += 60
    esc = Escalation(plan_of([local, frontier, fallback], health), 3, health)
    assert esc.next() is local
    esc.report(local, err(ErrorKind.UPSTREAM), 1.0)
    assert esc.next() is frontier  # reached in order, on its probe
    assert health.try_acquire(frontier.instance) is False
