"""Where a running daemon leaves its traces, all under `LEGION_HOME/run`, all mode 0600.

The token lives in its own file and never in the metadata file, so sharing `daemon.json` for
diagnostics never shares the key to the control socket.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MAX_SOCKET_PATH = 100  # AF_UNIX paths are limited to 108 bytes on Linux


def write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read, created with that mode (no window of 0644)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(path, 0o600)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass(frozen=True)
class DaemonFiles:
    home: Path

    @property
    def run_dir(self) -> Path:
        return self.home / "run"

    @property
    def meta(self) -> Path:
        return self.run_dir / "daemon.json"

    @property
    def token(self) -> Path:
        return self.run_dir / "daemon.token"

    @property
    def log(self) -> Path:
        return self.home / "logs" / "legion.log"

    @property
    def socket(self) -> Path:
        path = self.run_dir / "legion.sock"
        if len(str(path)) <= MAX_SOCKET_PATH:
            return path
        digest = hashlib.sha256(str(self.home).encode()).hexdigest()[:16]
        return Path(tempfile.gettempdir()) / f"legion-{os.getuid()}-{digest}.sock"

    def write(self, meta: dict[str, Any], token: str) -> None:
        write_private(self.token, token)
        write_private(self.meta, json.dumps(meta, indent=2))

    def read_meta(self) -> dict[str, Any] | None:
        try:
            data = json.loads(self.meta.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def read_token(self) -> str:
        return self.token.read_text(encoding="utf-8").strip()

    def running(self) -> dict[str, Any] | None:
        """The metadata of a live daemon on this home, or None (stale files are removed)."""
        meta = self.read_meta()
        if meta is None:
            return None
        if not pid_alive(int(meta.get("pid", 0))) or not Path(meta.get("socket", "")).exists():
            self.cleanup()
            return None
        return meta

    def cleanup(self) -> None:
        for path in (self.meta, self.token, self.socket):
            path.unlink(missing_ok=True)
