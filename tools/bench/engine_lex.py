"""The runner of the `bench` extension that tools/bench/engine.py registers in Legion's engine.

A module runner, like a real extension's: its public functions become the capabilities
`bench.engine_lex.<name>`. `probe` stamps the time its body starts into `STAMPS`.
"""

from __future__ import annotations

import time
from typing import Any

__all__ = ["noop", "probe", "step_a", "step_b", "step_c"]

# Written by `probe` (first line of its body), read by the latency workload.
STAMPS: list[float] = []


def noop() -> None:
    """Do nothing."""


def probe() -> None:
    """Record when the body started."""
    STAMPS.append(time.perf_counter())


def step_a(n: int) -> dict[str, Any]:
    """First step of a chain; its result feeds the condition of A -> B."""
    return {"n": n, "ok": True}


def step_b(n: int) -> dict[str, Any]:
    """Second step; the transformation of B -> C renders C's arguments from this result."""
    return {"v": n + 1}


def step_c(n: int) -> None:
    """Last step."""
