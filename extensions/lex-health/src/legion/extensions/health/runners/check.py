"""The check runner: `health.check.run` for a full report, `health.check.ping` for liveness."""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime
from typing import Any

from legion.core import __version__ as core_version
from legion.core.context import Context
from legion.core.sdk import capability
from legion.extensions.health.checks import run_all, worst
from legion.extensions.health.config import Thresholds

__all__ = ["ping", "run"]


@capability(idempotent=True)
def run(ctx: Context) -> dict[str, Any]:
    """This node's health: `ok`, `degraded` or `failed` (the worst of its checks), with every
    check as `{name, status, detail}`."""
    runtime = ctx.require_runtime()
    checks = run_all(runtime, Thresholds.from_settings(ctx.settings))
    return {
        "status": worst([c["status"] for c in checks]),
        "checks": checks,
        "node": f"{socket.gethostname()}:{os.getpid()}",
        "version": core_version,
        "mode": runtime.settings.mode,
        "checked_at": datetime.now(UTC).isoformat(),
    }


@capability(idempotent=True)
def ping() -> dict[str, Any]:
    """Liveness: answers `ok` with a timestamp whenever the node can run a function at all."""
    return {"status": "ok", "timestamp": datetime.now(UTC).isoformat()}
