"""Actor declarations: how a runner function gets triggered besides being invoked.

These are declarations only; the engine turns them into running timers and consumers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

ActorKind = Literal["subscription", "every", "poll", "once", "loop", "nothing"]
ACTOR_KINDS: tuple[str, ...] = ("subscription", "every", "poll", "once", "loop", "nothing")


@dataclass(frozen=True)
class Actor:
    """`function` is `runner.function` inside the declaring extension."""

    kind: ActorKind
    function: str
    interval: float | None = None
    delay: float = 0.0
    run_now: bool = False
    singleton: bool = False
    args: Mapping[str, Any] = field(default_factory=dict)
    # False: runs are not written to the store (frequent internal ticks: heartbeats, scheduling).
    record: bool = True

    def __post_init__(self) -> None:
        if self.kind not in ACTOR_KINDS:
            raise ValueError(f"unknown actor kind {self.kind!r}; expected one of {ACTOR_KINDS}")
        if self.function.count(".") != 1 or not all(self.function.split(".")):
            raise ValueError(f"actor function {self.function!r} must be 'runner.function'")
        if self.kind in ("every", "poll") and (self.interval is None or self.interval <= 0):
            raise ValueError(f"{self.kind} actor on {self.function} needs an interval > 0 seconds")
        if self.delay < 0:
            raise ValueError(f"actor on {self.function}: delay must be >= 0")

    def describe(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "function": self.function,
            "interval": self.interval,
            "delay": self.delay,
            "run_now": self.run_now,
            "singleton": self.singleton,
            "record": self.record,
        }


def every(
    function: str,
    seconds: float,
    *,
    run_now: bool = False,
    singleton: bool = False,
    args: Mapping[str, Any] | None = None,
    record: bool = True,
) -> Actor:
    """Run every `seconds`; a tick is skipped while the previous run is still going."""
    return Actor(
        "every",
        function,
        interval=seconds,
        run_now=run_now,
        singleton=singleton,
        args=dict(args or {}),
        record=record,
    )


def poll(
    function: str,
    seconds: float = 9.0,
    *,
    run_now: bool = True,
    singleton: bool = False,
    args: Mapping[str, Any] | None = None,
) -> Actor:
    """Run every `seconds`; follow-ups receive the diff against the previous result."""
    return Actor(
        "poll",
        function,
        interval=seconds,
        run_now=run_now,
        singleton=singleton,
        args=dict(args or {}),
    )


def once(function: str, delay: float = 1.0, *, args: Mapping[str, Any] | None = None) -> Actor:
    """Run once, `delay` seconds after start-up."""
    return Actor("once", function, delay=delay, args=dict(args or {}))


def loop(function: str, *, args: Mapping[str, Any] | None = None) -> Actor:
    """Run again as soon as the previous run ends, until stopped."""
    return Actor("loop", function, args=dict(args or {}))


def subscription(function: str) -> Actor:
    """Consume the function's queue (the default way tasks reach a function)."""
    return Actor("subscription", function)


def nothing(function: str) -> Actor:
    """Never triggered by the node itself; only invoked through the CLI, API or MCP."""
    return Actor("nothing", function)
