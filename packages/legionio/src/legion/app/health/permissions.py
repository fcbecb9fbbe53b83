"""LEGION_HOME and what lives in it: the directories exist, belong to this user and are not open
to others; files holding keys or the daemon's token are 0600; settings files are not
world-writable (whoever can write them can run code as this node).

Every repair creates a directory or tightens a mode; none deletes or moves anything.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from legion.app.health.report import Finding

DIR_MODE = 0o700
SECRET_MODE = 0o600


@dataclass(frozen=True)
class Layout:
    """Where a node keeps its files; `private` directories must be owner-only."""

    home: Path
    dirs: tuple[Path, ...]
    private: frozenset[Path]

    def secret_files(self) -> list[Path]:
        keys = self.home / "keys"
        found = sorted(p for p in keys.iterdir() if p.is_file()) if keys.is_dir() else []
        token = self.home / "run" / "daemon.token"
        return [*found, token] if token.is_file() else found


def layout(home: Path, spool_dir: Path, settings_dirs: list[Path]) -> Layout:
    """The home's directories; its `settings` one only when the settings are read from it."""
    run, keys, logs = home / "run", home / "keys", home / "logs"
    settings = home / "settings"
    dirs = [settings] if settings in settings_dirs else []
    dirs += [logs, run, keys, spool_dir]
    return Layout(home, tuple(dirs), frozenset({run, keys, spool_dir}))


def check(home: Path, spool_dir: Path, settings_dirs: list[Path]) -> list[Finding]:
    plan = layout(home, spool_dir, settings_dirs)
    findings = directory_findings(home, private=False)
    for directory in plan.dirs:
        findings += directory_findings(directory, private=directory in plan.private)
    secrets = plan.secret_files()
    for path in secrets:
        findings += secret_findings(path)
    settings_files = [p for d in settings_dirs if d.is_dir() for p in sorted(d.iterdir())]
    for path in settings_files:
        if path.is_file():
            findings += world_writable_findings(path)
    if not findings:
        findings.append(
            Finding(
                "home",
                "pass",
                f"{home}: {len(plan.dirs) + 1} directories and {len(secrets)} secret file(s) "
                "with safe owners and modes",
                details={"home": str(home)},
            )
        )
    return findings


def directory_findings(path: Path, *, private: bool) -> list[Finding]:
    try:
        info = path.stat()
    except FileNotFoundError:
        return [
            Finding(
                "home",
                "warn",
                "missing (Legion creates it on first use)",
                subject=str(path),
                fix=f"mkdir -m 700 -p {path}",
                repair=lambda: create_dir(path),
            )
        ]
    if not stat.S_ISDIR(info.st_mode):
        return [
            Finding(
                "home",
                "fail",
                "exists but is not a directory",
                subject=str(path),
                fix=f"move {path} out of the way; Legion needs a directory there",
            )
        ]
    found = owner_findings(path, info)
    mode = stat.S_IMODE(info.st_mode)
    if private and mode & 0o077:
        found.append(
            Finding(
                "home",
                "fail",
                f"mode {mode:04o}: other users can look inside; it must be owner-only (0700)",
                subject=str(path),
                fix=f"chmod 700 {path}",
                repair=tighten(path, DIR_MODE),
            )
        )
    elif mode & 0o002:
        found.append(
            Finding(
                "home",
                "fail",
                f"mode {mode:04o}: any user can write here",
                subject=str(path),
                fix=f"chmod o-w {path}",
                repair=tighten(path, mode & ~0o002),
            )
        )
    return found


def secret_findings(path: Path) -> list[Finding]:
    info = path.stat()
    found = owner_findings(path, info)
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o077:
        found.append(
            Finding(
                "home",
                "fail",
                f"holds a key or token but has mode {mode:04o}: other users can read it",
                subject=str(path),
                fix=f"chmod 600 {path}",
                repair=tighten(path, SECRET_MODE),
            )
        )
    return found


def world_writable_findings(path: Path) -> list[Finding]:
    mode = stat.S_IMODE(path.stat().st_mode)
    if not mode & 0o002:
        return []
    return [
        Finding(
            "home",
            "fail",
            f"settings file with mode {mode:04o}: any user can change this node's settings",
            subject=str(path),
            fix=f"chmod o-w {path}",
            repair=tighten(path, mode & ~0o002),
        )
    ]


def owner_findings(path: Path, info: os.stat_result) -> list[Finding]:
    me = os.geteuid()
    if info.st_uid == me:
        return []
    return [
        Finding(
            "home",
            "fail",
            f"owned by uid {info.st_uid}, not by this user (uid {me})",
            subject=str(path),
            fix=f"chown {me} {path} (or run Legion as its owner)",
        )
    ]


def create_dir(path: Path) -> str:
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    os.chmod(path, DIR_MODE)
    return f"created {path} (0700)"


def tighten(path: Path, mode: int) -> Callable[[], str]:
    def repair() -> str:
        before = stat.S_IMODE(path.stat().st_mode)
        os.chmod(path, mode)
        return f"changed the mode of {path} from {before:04o} to {mode:04o}"

    return repair
