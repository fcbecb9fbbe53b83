"""Where a named spool lives and how it is tuned, from the `spool` settings section."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from legion.core.spool.spool import Spool

if TYPE_CHECKING:
    from legion.core.settings.model import Settings

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


def spool_dir(settings: Settings, name: str) -> Path:
    """`spool.dir/<name>`, by default `$LEGION_HOME/spool/<name>`; `name` must be a plain word."""
    if not _NAME.match(name):
        raise ValueError(f"spool name {name!r}: use letters, digits, '.', '_' or '-'")
    base = settings.spool.dir if settings.spool.dir is not None else settings.home / "spool"
    return base.expanduser() / name


def open_spool(settings: Settings, name: str) -> Spool:
    """Open (recovering if needed) the spool `name`; one per broker connection, say "transport"."""
    config = settings.spool
    return Spool(
        spool_dir(settings, name),
        max_file_bytes=config.max_file_bytes,
        max_total_bytes=config.max_total_bytes,
        fsync=config.fsync,
        fsync_batch=config.fsync_batch,
    )
