"""Thresholds of lex-health (`lex.health.*`): where ok turns degraded, and degraded turns failed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from legion.core.errors import ConfigError

DEFAULTS: dict[str, Any] = {
    "disk_degraded_below_mb": 1024,
    "disk_failed_below_mb": 100,
    "backlog_degraded_above": 10_000,
    "backlog_failed_above": 100_000,
}


@dataclass(frozen=True)
class Thresholds:
    disk_degraded_below_mb: float
    disk_failed_below_mb: float
    backlog_degraded_above: int
    backlog_failed_above: int

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> Thresholds:
        merged = {**DEFAULTS, **settings}
        for key in DEFAULTS:
            value = merged[key]
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ConfigError(f"lex.health.{key} must be a number >= 0")
        return cls(
            float(merged["disk_degraded_below_mb"]),
            float(merged["disk_failed_below_mb"]),
            int(merged["backlog_degraded_above"]),
            int(merged["backlog_failed_above"]),
        )
