"""Files that hold keys: a 0700 directory, 0600 files created atomically and never overwritten.

Two processes starting on the same home race to create keys; the loser reads the winner's file.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path

from legion.core.errors import ConfigError

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path) -> Path:
    """Create `path` (0700) or tighten an existing one we own: keys must not be listable."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    if stat.S_IMODE(path.stat().st_mode) != DIR_MODE:
        os.chmod(path, DIR_MODE)
    return path


def create_private(path: Path, data: bytes) -> bool:
    """Write `data` to a new 0600 file; False (nothing written) if the file already exists."""
    private_dir(path.parent)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, FILE_MODE)
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    sync_dir(path.parent)
    return True


def read_private(path: Path) -> bytes | None:
    """The file's bytes, None if absent; refuses a key file that other users could read."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return None
    if mode & 0o077:
        raise ConfigError(
            f"{path} holds a key but is readable by other users (mode {mode:o})",
            hint=f"chmod 600 {path}",
        )
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read key file {path} ({exc.strerror})") from None


def sync_dir(path: Path) -> None:
    """Make a new directory entry durable, so a key survives a crash right after creation."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
