"""The spool: how many messages wait for the broker and since when, read without opening it.

Opening a `Spool` takes its lock and may repair it; a running node holds that lock, so this
reads the checkpoint and segment files directly and changes nothing.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from legion.app.health.report import Finding

if TYPE_CHECKING:
    from legion.core.settings import Settings


def spool_base(settings: Settings) -> Path:
    base = settings.spool.dir if settings.spool.dir is not None else settings.home / "spool"
    return base.expanduser()


def pending_in(directory: Path) -> tuple[int, float | None]:
    """Records past the checkpoint, and the append time of the oldest of them."""
    from legion.core.spool.checkpoint import CHECKPOINT_NAME, read_checkpoint
    from legion.core.spool.segment import scan, segment_first_seq

    acked = read_checkpoint(directory / CHECKPOINT_NAME)
    pending, oldest = 0, None
    segments = sorted(
        (first, path)
        for path in directory.iterdir()
        if (first := segment_first_seq(path)) is not None
    )
    for _, path in segments:
        for entry in scan(path):
            if entry.record is not None and entry.record.seq > acked:
                pending += 1
                oldest = entry.record.at if oldest is None else min(oldest, entry.record.at)
    return pending, oldest


def check(settings: Settings, now: float | None = None) -> Finding:
    base = spool_base(settings)
    if not base.is_dir():
        return Finding("spool", "skip", f"nothing spooled (no spool directory {base})")
    now = time.time() if now is None else now
    spools: dict[str, dict[str, Any]] = {}
    total, oldest = 0, None
    for directory in sorted(p for p in base.iterdir() if p.is_dir()):
        count, first_at = pending_in(directory)
        age = None if first_at is None else round(max(0.0, now - first_at), 1)
        spools[directory.name] = {"pending": count, "oldest_age_s": age}
        total += count
        if first_at is not None:
            oldest = first_at if oldest is None else min(oldest, first_at)
    details = {"dir": str(base), "pending": total, "spools": spools}
    if total == 0:
        return Finding("spool", "pass", f"nothing pending in {base}", details=details)
    age = max(0.0, now - oldest) if oldest is not None else 0.0
    details["oldest_age_s"] = round(age, 1)
    return Finding(
        "spool",
        "info",
        f"{total} message(s) wait for the broker in {base}, the oldest for {format_age(age)}",
        details=details,
    )


def format_age(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f}s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"
