"""The circuit breaker's transitions and the latency penalty, on an injected clock."""

from __future__ import annotations

import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from legion.llm.config.gateway_config import HealthSettings
from legion.llm.routing.health_tracker import HealthTracker

A = "openai:http://a"


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def health(clock: FakeClock) -> HealthTracker:
    return HealthTracker(clock=clock)


def test_unknown_instance_is_closed_and_neutral(health: HealthTracker) -> None:
    assert health.state(A) == "closed"
    assert health.adjustment(A) == 0.0
    assert health.try_acquire(A) is True
    assert health.seconds_until_half_open(A) is None


def test_opens_after_three_failures_in_the_window(health: HealthTracker, clock: FakeClock) -> None:
    health.record_failure(A)
    clock.advance(10)
    health.record_failure(A)
    assert health.state(A) == "closed"
    health.record_failure(A)
    assert health.state(A) == "open"
    assert health.try_acquire(A) is False
    assert health.adjustment(A) == -50.0
    assert health.seconds_until_half_open(A) == 60.0


def test_old_failures_slide_out_of_the_window(health: HealthTracker, clock: FakeClock) -> None:
    health.record_failure(A)
    health.record_failure(A)
    clock.advance(300)
    health.record_failure(A)
    assert health.state(A) == "closed"
    assert health.snapshot()["instances"][A]["failures"] == 1.0


def test_quality_failures_weigh_half(health: HealthTracker) -> None:
    for _ in range(5):
        health.record_failure(A, weight=0.5)
    assert health.state(A) == "closed"
    health.record_failure(A, weight=0.5)
    assert health.state(A) == "open"


def open_circuit(health: HealthTracker) -> None:
    for _ in range(3):
        health.record_failure(A)


def test_half_open_after_cooldown_admits_exactly_one_probe(
    health: HealthTracker, clock: FakeClock
) -> None:
    open_circuit(health)
    clock.advance(59.9)
    assert health.state(A) == "open"
    clock.advance(0.1)
    assert health.state(A) == "half_open"
    assert health.adjustment(A) == -25.0
    assert health.try_acquire(A) is True
    assert health.try_acquire(A) is False
    assert health.try_acquire(A) is False


def test_probe_success_closes(health: HealthTracker, clock: FakeClock) -> None:
    open_circuit(health)
    clock.advance(60)
    assert health.try_acquire(A)
    health.record_success(A, 100.0)
    assert health.state(A) == "closed"
    assert health.try_acquire(A) and health.try_acquire(A)
    # The window starts afresh: one more failure does not re-open it.
    health.record_failure(A)
    assert health.state(A) == "closed"


def test_probe_failure_reopens_for_another_cooldown(
    health: HealthTracker, clock: FakeClock
) -> None:
    open_circuit(health)
    clock.advance(60)
    assert health.try_acquire(A)
    health.record_failure(A)
    assert health.state(A) == "open"
    assert health.seconds_until_half_open(A) == 60.0
    clock.advance(59)
    assert health.state(A) == "open"
    clock.advance(1)
    assert health.state(A) == "half_open"


def test_released_probe_lets_the_next_request_probe(
    health: HealthTracker, clock: FakeClock
) -> None:
    open_circuit(health)
    clock.advance(60)
    assert health.try_acquire(A)
    health.release(A)
    assert health.state(A) == "half_open"
    assert health.try_acquire(A)


def test_a_lost_probe_stops_blocking_after_a_cooldown(
    health: HealthTracker, clock: FakeClock
) -> None:
    open_circuit(health)
    clock.advance(60)
    assert health.try_acquire(A)
    clock.advance(30)
    assert not health.try_acquire(A)
    clock.advance(30)
    assert health.try_acquire(A)


@pytest.mark.parametrize(
    ("latencies", "expected"),
    [
        ([1000.0, 2000.0], 0.0),
        ([5000.0], 0.0),
        ([6000.0, 4000.0], 0.0),  # average 5000 is not above the threshold
        ([7000.0], -10.0),
        ([12000.0], -20.0),
        ([24999.0], -40.0),
        ([90000.0], -50.0),  # capped
    ],
)
def test_latency_penalty(health: HealthTracker, latencies: list[float], expected: float) -> None:
    for latency in latencies:
        health.record_success(A, latency)
    assert health.adjustment(A) == expected


def test_latency_penalty_adds_to_the_circuit_penalty(
    health: HealthTracker, clock: FakeClock
) -> None:
    health.record_success(A, 11000.0)
    open_circuit(health)
    assert health.adjustment(A) == -70.0


def test_slow_samples_slide_out_of_the_window(health: HealthTracker, clock: FakeClock) -> None:
    health.record_success(A, 20000.0)
    clock.advance(150)
    health.record_success(A, 100.0)
    assert health.adjustment(A) == -20.0  # average 10050
    clock.advance(151)
    assert health.adjustment(A) == 0.0
    assert health.snapshot()["instances"][A]["successes"] == 1


def test_unusable_deployments_until_cleared(health: HealthTracker) -> None:
    health.mark_unusable("gpt-4o#0", "401 invalid api key")
    assert health.is_unusable("gpt-4o#0")
    assert health.unusable_reason("gpt-4o#0") == "401 invalid api key"
    assert not health.is_unusable("gpt-4o#1")
    health.clear_unusable()
    assert not health.is_unusable("gpt-4o#0")


def test_snapshot(health: HealthTracker, clock: FakeClock) -> None:
    health.record_success(A, 100.0)
    health.record_success(A, 300.0)
    open_circuit(health)
    health.mark_unusable("x#0", "bad key")
    clock.advance(20)
    snap = health.snapshot()
    assert snap["unusable"] == {"x#0": "bad key"}
    entry = snap["instances"][A]
    assert entry["state"] == "open"
    assert entry["failures"] == 3.0
    assert entry["successes"] == 2
    assert entry["avg_latency_ms"] == 200.0
    assert entry["opened_at"] == 1000.0
    assert entry["half_open_in"] == 40.0


def test_from_settings(clock: FakeClock) -> None:
    tracker = HealthTracker.from_settings(
        HealthSettings(window_seconds=10, failure_threshold=1, cooldown_seconds=5), clock=clock
    )
    tracker.record_failure(A)
    assert tracker.state(A) == "open"
    clock.advance(5)
    assert tracker.state(A) == "half_open"


def test_concurrent_probes_admit_one(health: HealthTracker, clock: FakeClock) -> None:
    open_circuit(health)
    clock.advance(60)
    results: list[bool] = []
    barrier = threading.Barrier(8)

    def probe() -> None:
        barrier.wait()
        results.append(health.try_acquire(A))

    threads = [threading.Thread(target=probe) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(True) == 1


# --- the state machine against a model of it ---------------------------------------------------

Step = tuple[str, float]
steps = st.lists(
    st.one_of(
        st.tuples(st.just("fail"), st.sampled_from([0.5, 1.0])),
        st.tuples(st.just("ok"), st.just(0.0)),
        st.tuples(st.just("wait"), st.sampled_from([1.0, 20.0, 59.0, 60.0, 120.0, 301.0])),
        st.tuples(st.just("acquire"), st.just(0.0)),
    ),
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(steps)
def test_breaker_matches_a_reference_model(script: list[Step]) -> None:
    clock = FakeClock(0.0)
    tracker = HealthTracker(window=300, threshold=3, cooldown=60, clock=clock)
    failures: list[tuple[float, float]] = []
    state, opened_at = "closed", 0.0
    # When the half-open probe was handed out; a probe never reported back (its request vanished)
    # frees up again after another cooldown, so a lost probe cannot keep the circuit half-open.
    probe: float | None = None

    def advance() -> None:
        nonlocal state, probe
        if state == "open" and clock.now - opened_at >= 60:
            state, probe = "half_open", None

    for action, value in script:
        if action == "wait":
            clock.advance(value)
            continue
        advance()
        failures[:] = [(t, w) for t, w in failures if t > clock.now - 300]
        if action == "fail":
            tracker.record_failure(A, value)
            failures.append((clock.now, value))
            if state == "half_open" or (
                state == "closed" and sum(w for _, w in failures) >= 3 - 1e-9
            ):
                state, opened_at, probe = "open", clock.now, None
        elif action == "ok":
            tracker.record_success(A, 10.0)
            if state != "closed":
                state, probe = "closed", None
                failures.clear()
        else:
            admitted = tracker.try_acquire(A)
            probe_free = probe is None or clock.now - probe >= 60
            expected = state == "closed" or (state == "half_open" and probe_free)
            if state == "half_open" and expected:
                probe = clock.now
            assert admitted is expected
        advance()
        assert tracker.state(A) == state
