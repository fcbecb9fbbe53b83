"""The few system calls that make a write survive a crash: full writes, fsync of files and dirs."""

from __future__ import annotations

import os
from pathlib import Path

FILE_MODE = 0o600  # records may hold secrets
DIR_MODE = 0o700


def write_all(fd: int, data: bytes) -> None:
    """`os.write` until every byte is written (a regular file may take fewer on a full disk)."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def sync_file(fd: int) -> None:
    """Data (and the size needed to read it) on disk; fdatasync where the platform has it."""
    if hasattr(os, "fdatasync"):
        os.fdatasync(fd)
    else:  # pragma: no cover - macOS
        os.fsync(fd)


def sync_dir(path: Path) -> None:
    """Make created, renamed or deleted names in `path` durable."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def make_private_dir(path: Path) -> None:
    """Create `path` (and parents) owner-only; an existing spool directory is tightened too."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    os.chmod(path, DIR_MODE)
