"""Runs network checks side by side, each under a deadline, so a dead host never hangs a command.

Each check gets a daemon thread: one stuck in a connect that ignores its own timeout is given up
on at the deadline (and reported as failed) and cannot keep the process from exiting.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence

from legion.app.health.report import Finding

GRACE = 0.5  # seconds past the timeout for a check to report its own, more precise, error

Check = Callable[[], Finding]


def elapsed_ms(started: float) -> float:
    return (time.monotonic() - started) * 1000


def guarded(name: str, check: Check) -> Finding:
    """A check that raises reports `fail` with the error rather than losing the whole report."""
    try:
        return check()
    except Exception as exc:
        first = str(exc).splitlines()[0] if str(exc) else ""
        return Finding(name, "fail", f"the check itself broke: {type(exc).__name__}: {first}")


def guarded_many(name: str, check: Callable[[], list[Finding]]) -> list[Finding]:
    """`guarded` for a check that reports several findings."""
    try:
        return check()
    except Exception as exc:
        first = str(exc).splitlines()[0] if str(exc) else ""
        return [Finding(name, "fail", f"the check itself broke: {type(exc).__name__}: {first}")]


def run_concurrently(checks: Sequence[tuple[str, Check]], timeout: float) -> list[Finding]:
    """Every check's finding, in the given order; those without one by the deadline fail."""
    results: list[Finding | None] = [None] * len(checks)

    def work(index: int, name: str, check: Check) -> None:
        results[index] = guarded(name, check)

    threads = [
        threading.Thread(
            target=work, args=(i, name, check), name=f"legion-check-{name}", daemon=True
        )
        for i, (name, check) in enumerate(checks)
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout + GRACE
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    findings: list[Finding] = []
    for (name, _), result in zip(checks, results, strict=True):
        findings.append(
            result
            if result is not None
            else Finding(
                name,
                "fail",
                f"no answer within {timeout:g}s",
                latency_ms=timeout * 1000,
                fix="check that the host is up and reachable from here (firewall, DNS, port)",
            )
        )
    return findings
