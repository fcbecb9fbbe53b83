"""Circuit breakers and latency per provider instance, and deployments known to be unusable, so
the router steers away from what is failing and probes it again after a cooldown."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from legion.llm.config.gateway_config import HealthSettings

CircuitState = Literal["closed", "open", "half_open"]

OPEN_PENALTY = -50.0
HALF_OPEN_PENALTY = -25.0
LATENCY_STEP_PENALTY = -10.0
LATENCY_PENALTY_CAP = -50.0
_EPSILON = 1e-9


@dataclass(slots=True)
class _Instance:
    # (time, weight) of each failure in the window, and their running sum.
    failures: deque[tuple[float, float]] = field(default_factory=deque)
    failure_weight: float = 0.0
    # Successes bucketed by whole second of the clock: [second, count, total latency ms], so a
    # busy instance keeps at most `window` buckets however many requests it serves.
    latency: deque[list[float]] = field(default_factory=deque)
    successes: int = 0
    latency_total: float = 0.0
    state: CircuitState = "closed"
    opened_at: float | None = None
    # When the half-open probe was handed out; a probe never reported back (a crashed request)
    # stops blocking others after one cooldown.
    probe_since: float | None = None


class HealthTracker:
    """Failures within the sliding `window` (seconds) reaching `threshold` open an instance's
    circuit; after `cooldown` it is half-open and admits one probe at a time (`try_acquire`);
    the probe's success closes it, its failure re-opens it. Thread-safe."""

    def __init__(
        self,
        window: float = 300.0,
        threshold: float = 3.0,
        cooldown: float = 60.0,
        latency_penalty_ms: float = 5000.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.window = window
        self.threshold = threshold
        self.cooldown = cooldown
        self.latency_penalty_ms = latency_penalty_ms
        self._clock = clock
        self._lock = threading.Lock()
        self._instances: dict[str, _Instance] = {}
        self._unusable: dict[str, str] = {}

    @classmethod
    def from_settings(
        cls, settings: HealthSettings, clock: Callable[[], float] = time.monotonic
    ) -> HealthTracker:
        return cls(
            window=settings.window_seconds,
            threshold=settings.failure_threshold,
            cooldown=settings.cooldown_seconds,
            latency_penalty_ms=settings.latency_penalty_ms,
            clock=clock,
        )

    # --- outcomes -----------------------------------------------------------------------------

    def record_success(self, instance: str, latency_ms: float) -> None:
        with self._lock:
            now = self._clock()
            item = self._get(instance, now)
            second = float(math.floor(now))
            if item.latency and item.latency[-1][0] == second:
                bucket = item.latency[-1]
                bucket[1] += 1
                bucket[2] += latency_ms
            else:
                item.latency.append([second, 1.0, latency_ms])
            item.successes += 1
            item.latency_total += latency_ms
            if item.state != "closed":
                item.state, item.opened_at, item.probe_since = "closed", None, None
                item.failures.clear()
                item.failure_weight = 0.0

    def record_failure(self, instance: str, weight: float = 1.0) -> None:
        """Errors weigh 1, quality failures (an answer that was no good) 0.5."""
        with self._lock:
            now = self._clock()
            item = self._get(instance, now)
            item.failures.append((now, weight))
            item.failure_weight += weight
            if item.state == "half_open" or (
                item.state == "closed" and item.failure_weight >= self.threshold - _EPSILON
            ):
                item.state, item.opened_at, item.probe_since = "open", now, None

    def try_acquire(self, instance: str) -> bool:
        """May a request go to `instance` now? In half-open, only the one probe may."""
        with self._lock:
            now = self._clock()
            item = self._get(instance, now)
            if item.state == "closed":
                return True
            if item.state == "half_open" and (
                item.probe_since is None or now - item.probe_since >= self.cooldown
            ):
                item.probe_since = now
                return True
            return False

    def release(self, instance: str) -> None:
        """Give back a probe whose request ended without a verdict on the instance (the client's
        own error, a cancelled request), so the next request may probe."""
        with self._lock:
            item = self._instances.get(instance)
            if item is not None:
                item.probe_since = None

    # --- reading ------------------------------------------------------------------------------

    def state(self, instance: str) -> CircuitState:
        with self._lock:
            item = self._instances.get(instance)
            if item is None:
                return "closed"
            self._advance(item, self._clock())
            return item.state

    def adjustment(self, instance: str) -> float:
        """The score adjustment for routing: open -50, half-open -25, and -10 per whole
        `latency_penalty_ms` of average latency above it, at most -50 for latency."""
        with self._lock:
            item = self._instances.get(instance)
            if item is None:
                return 0.0
            self._prune(item, self._clock())
            penalty = {"closed": 0.0, "open": OPEN_PENALTY, "half_open": HALF_OPEN_PENALTY}[
                item.state
            ]
            average = _average(item)
            if average is not None and average > self.latency_penalty_ms:
                steps = math.floor(average / self.latency_penalty_ms)
                penalty += max(LATENCY_PENALTY_CAP, LATENCY_STEP_PENALTY * steps)
            return penalty

    def seconds_until_half_open(self, instance: str) -> float | None:
        """How long an open circuit stays open; None when it is not open."""
        with self._lock:
            item = self._instances.get(instance)
            if item is None:
                return None
            now = self._clock()
            self._advance(item, now)
            if item.state != "open" or item.opened_at is None:
                return None
            return max(0.0, item.opened_at + self.cooldown - now)

    # --- unusable deployments -----------------------------------------------------------------

    def mark_unusable(self, deployment_id: str, reason: str) -> None:
        """A deployment whose key or model is wrong: out of routing until the config reloads."""
        with self._lock:
            self._unusable[deployment_id] = reason

    def is_unusable(self, deployment_id: str) -> bool:
        with self._lock:
            return deployment_id in self._unusable

    def unusable_reason(self, deployment_id: str) -> str | None:
        with self._lock:
            return self._unusable.get(deployment_id)

    def clear_unusable(self) -> None:
        with self._lock:
            self._unusable.clear()

    def snapshot(self) -> dict[str, Any]:
        """What `/health/providers` shows: every instance seen, and the unusable deployments."""
        with self._lock:
            now = self._clock()
            instances: dict[str, Any] = {}
            for name, item in self._instances.items():
                self._prune(item, now)
                average = _average(item)
                instances[name] = {
                    "state": item.state,
                    "failures": item.failure_weight,
                    "successes": item.successes,
                    "avg_latency_ms": round(average, 1) if average is not None else None,
                    "opened_at": item.opened_at,
                    "half_open_in": max(0.0, item.opened_at + self.cooldown - now)
                    if item.state == "open" and item.opened_at is not None
                    else None,
                }
            return {"instances": instances, "unusable": dict(self._unusable)}

    # --- internals (lock held) ----------------------------------------------------------------

    def _get(self, instance: str, now: float) -> _Instance:
        item = self._instances.get(instance)
        if item is None:
            item = self._instances[instance] = _Instance()
        self._prune(item, now)
        return item

    def _prune(self, item: _Instance, now: float) -> None:
        self._advance(item, now)
        horizon = now - self.window
        while item.failures and item.failures[0][0] <= horizon:
            item.failure_weight -= item.failures.popleft()[1]
        if not item.failures:
            item.failure_weight = 0.0  # no float drift survives an empty window
        while item.latency and item.latency[0][0] + 1 <= horizon:
            _, count, total = item.latency.popleft()
            item.successes -= int(count)
            item.latency_total -= total
        if not item.latency:
            item.successes, item.latency_total = 0, 0.0

    def _advance(self, item: _Instance, now: float) -> None:
        if (
            item.state == "open"
            and item.opened_at is not None
            and now - item.opened_at >= self.cooldown
        ):
            item.state, item.probe_since = "half_open", None


def _average(item: _Instance) -> float | None:
    return item.latency_total / item.successes if item.successes else None
