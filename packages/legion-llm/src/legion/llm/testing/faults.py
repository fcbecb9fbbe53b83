"""Faults the mock upstream can inject, and the thread-safe book of which apply to the next request.

Tests change faults from their own thread while the mock serves on its loop, so every read and
write goes through one lock; a fault with `times` heals itself after that many requests.
"""

from __future__ import annotations

import threading
from collections import Counter, deque
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

FaultMode = Literal["die_after", "status", "hang", "slow_first_byte", "malformed", "chunk_delay"]
FAULT_MODES: tuple[FaultMode, ...] = (
    "die_after",
    "status",
    "hang",
    "slow_first_byte",
    "malformed",
    "chunk_delay",
)


@dataclass(slots=True)
class Fault:
    """One injected misbehaviour.

    `chunks`: for `die_after`, the content chunks sent before the connection is cut (0 = right
    after the headers); for `malformed`, the chunks sent before the unparsable line.
    `status`/`retry_after`/`message`: the error answered by `status`.
    `seconds`: the wait of `slow_first_byte` and `chunk_delay`.
    `times`: how many matching requests it still applies to (None = always).
    `routes`: request paths it applies to (empty = every model route).
    """

    mode: FaultMode
    chunks: int = 0
    status: int = 500
    retry_after: float | None = None
    message: str | None = None
    seconds: float = 0.0
    times: int | None = None
    routes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.mode not in FAULT_MODES:
            raise ValueError(f"unknown fault mode {self.mode!r}; one of {', '.join(FAULT_MODES)}")
        if self.times is not None and self.times < 0:
            raise ValueError("times must be >= 0")
        self.routes = tuple(self.routes)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Fault:
        known = set(cls.__dataclass_fields__)
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown fault fields: {', '.join(sorted(unknown))}")
        values = dict(data)
        if "routes" in values:
            routes = values["routes"]
            values["routes"] = (routes,) if isinstance(routes, str) else tuple(routes)
        return cls(**values)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["routes"] = list(self.routes)
        return data

    def applies_to(self, path: str) -> bool:
        return not self.routes or path in self.routes


@dataclass(slots=True)
class Plan:
    """What the faults in force make of one request (at most one of each mode)."""

    die_after: Fault | None = None
    status: Fault | None = None
    hang: Fault | None = None
    slow_first_byte: Fault | None = None
    malformed: Fault | None = None
    chunk_delay: Fault | None = None

    def first_byte_delay(self) -> float:
        return self.slow_first_byte.seconds if self.slow_first_byte else 0.0


@dataclass
class FaultBook:
    """The faults in force plus what the mock has seen: request counts per path, recent bodies."""

    body_limit: int = 50
    _faults: list[Fault] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _counts: Counter[str] = field(default_factory=Counter)
    _bodies: deque[tuple[str, Any]] = field(init=False)

    def __post_init__(self) -> None:
        self._bodies = deque(maxlen=self.body_limit)

    def set(self, faults: list[Fault]) -> None:
        with self._lock:
            self._faults = [replace(f) for f in faults]

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(replace(fault))

    def current(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def take(self, path: str, body: Any) -> Plan:
        """Record a request and consume one use of every fault that applies to it."""
        plan = Plan()
        with self._lock:
            self._counts[path] += 1
            self._bodies.append((path, body))
            kept: list[Fault] = []
            for fault in self._faults:
                if fault.times == 0:
                    continue
                if fault.applies_to(path):
                    if getattr(plan, fault.mode) is None:
                        setattr(plan, fault.mode, fault)
                    if fault.times is not None:
                        fault.times -= 1
                        if fault.times == 0:
                            continue
                kept.append(fault)
            self._faults = kept
        return plan

    def counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    def bodies(self, path: str | None = None) -> list[Any]:
        with self._lock:
            return [body for p, body in self._bodies if path is None or p == path]

    def reset_stats(self) -> None:
        with self._lock:
            self._counts.clear()
            self._bodies.clear()
