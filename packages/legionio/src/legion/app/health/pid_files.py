"""The daemon's traces under `LEGION_HOME/run`: metadata (with the pid), token and socket.

A daemon killed with SIGKILL leaves them behind; they are stale once the pid is gone, and only
then does `--fix` remove them (exactly those files, as a clean stop would).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from legion.app.daemon.files import DaemonFiles, pid_alive
from legion.app.health.report import Finding


def check(home: Path) -> Finding:
    files = DaemonFiles(home)
    if not files.meta.exists():
        if files.token.exists():
            return Finding(
                "daemon",
                "fail",
                f"stale: {files.token} is left without {files.meta.name}",
                fix=f"delete {files.token} (no daemon runs without {files.meta.name})",
                repair=lambda: remove(files, [files.token]),
            )
        return Finding("daemon", "pass", "no daemon files: no daemon runs on this home")
    meta = files.read_meta()
    pid = pid_of(meta)
    if meta is None or pid is None:
        return Finding(
            "daemon",
            "fail",
            f"{files.meta} is unreadable or has no pid",
            fix=f"if `legionio status` shows no daemon, delete {files.meta}",
        )
    if not pid_alive(pid):
        stale = [p for p in (files.meta, files.token, files.socket) if p.exists()]
        return Finding(
            "daemon",
            "fail",
            f"stale: {files.meta} names pid {pid}, which is gone (the daemon did not stop cleanly)",
            fix=f"delete {', '.join(str(p) for p in stale)}",
            details={"pid": pid},
            repair=lambda: remove(files, stale),
        )
    socket = Path(str(meta.get("socket", "")))
    if not socket.exists():
        return Finding(
            "daemon",
            "warn",
            f"pid {pid} runs but its control socket {socket} is gone",
            fix=f"`legionio stop`; if pid {pid} is not Legion, delete {files.meta}",
            details={"pid": pid},
        )
    return Finding(
        "daemon",
        "pass",
        f"a daemon runs as pid {pid} (socket {socket})",
        details={"pid": pid, "socket": str(socket)},
    )


def pid_of(meta: dict[str, Any] | None) -> int | None:
    pid = None if meta is None else meta.get("pid")
    return pid if isinstance(pid, int) and not isinstance(pid, bool) and pid > 0 else None


def remove(files: DaemonFiles, paths: list[Path]) -> str:
    for path in paths:
        path.unlink(missing_ok=True)
    return "removed " + ", ".join(str(p) for p in paths)
