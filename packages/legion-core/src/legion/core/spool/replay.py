"""What a replay pass reports, and the callables it is given."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from legion.core.spool.record import SpoolRecord

# Sends one record to the broker; returning means the broker has it, raising means it does not.
Publish = Callable[[SpoolRecord], None]
# Called as (done, total) after each delivered record; total grows if producers keep appending.
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ReplayResult:
    """One pass: how many records went out, how many lines were unreadable, how many are left.

    `error` is what `publish` raised, when it did; the record it failed on is still spooled and
    is the first one the next pass sends.
    """

    delivered: int
    skipped: int  # torn or damaged lines passed over (each was logged)
    remaining: int
    error: Exception | None = None

    @property
    def complete(self) -> bool:
        """Nothing failed and nothing is left."""
        return self.error is None and self.remaining == 0
