"""The extension catalog: every installed extension that failed to load, with its error."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING

from legion.app.health.report import Finding

if TYPE_CHECKING:
    from legion.core.catalog import Catalog


def check(catalog: Callable[[], Catalog]) -> list[Finding]:
    records = catalog().records
    counts = Counter(r.status for r in records)
    findings = [
        Finding(
            "extensions",
            "fail",
            record.reason or "failed to load",
            subject=record.name,
            fix=(
                f"`legion lex info {record.name}` shows the error; reinstall "
                f"{record.distribution or 'its package'} or disable it with "
                f"LEGION_DISABLED_EXTENSIONS={record.name}"
            ),
            details={"distribution": record.distribution, "entry_point": record.entry_point},
        )
        for record in records
        if record.status == "failed"
    ]
    parts = [f"{counts[s]} {s}" for s in ("loaded", "disabled", "skipped", "failed") if counts[s]]
    summary = ", ".join(parts) or "no extensions installed"
    findings.insert(
        0,
        Finding(
            "extensions",
            "info" if findings else "pass",
            summary,
            details={str(k): v for k, v in counts.items()},
        ),
    )
    return findings
