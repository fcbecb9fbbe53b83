"""The settings files: each parses on its own, then the merged layers validate.

Parsing file by file names the broken file even when several are; validation names the key and
the file (or environment variable) it came from.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from legion.app.health.report import Finding

if TYPE_CHECKING:
    from legion.core.errors import ConfigError
    from legion.core.settings import Settings

IGNORED_LOOKALIKES = (".yaml", ".yml", ".ini", ".cfg")


def check(dirs: list[Path], load: Callable[[], Settings]) -> tuple[list[Finding], Settings | None]:
    """Findings about the files in `dirs`, and the settings when they load (else None)."""
    from legion.core.errors import ConfigError
    from legion.core.settings.layers import files_in, read_file

    findings: list[Finding] = []
    read: list[Path] = []
    for directory in dirs:
        for path in files_in(directory):
            try:
                read_file(path)
            except ConfigError as exc:
                findings.append(
                    Finding(
                        "settings",
                        "fail",
                        exc.message,
                        subject=str(path),
                        fix=exc.hint or f"fix {path} or move it out of {directory}",
                    )
                )
                continue
            read.append(path)
        findings.extend(lookalikes(directory))
    if any(f.status == "fail" for f in findings):
        return findings, None
    try:
        settings = load()
    except ConfigError as exc:
        findings.extend(validation_findings(exc))
        return findings, None
    names = ", ".join(str(p) for p in read) or "none: defaults and environment only"
    findings.insert(
        0,
        Finding(
            "settings",
            "pass",
            f"{len(read)} file(s) parse and validate ({names})",
            details={"files": [str(p) for p in read], "dirs": [str(d) for d in dirs]},
        ),
    )
    return findings, settings


def validation_findings(exc: ConfigError) -> list[Finding]:
    """One finding per invalid key when the error lists them, else one for the whole error."""
    rows = exc.details if isinstance(exc.details, list) else []
    findings = [
        Finding(
            "settings",
            "fail",
            f"{row['key']}: {row['problem']} (from {row['source']})",
            subject=str(row["key"]),
            fix=f"fix or remove {row['key']} in {row['source']}",
            details={"key": row["key"], "source": row["source"]},
        )
        for row in rows
        if isinstance(row, dict) and {"key", "source", "problem"} <= row.keys()
    ]
    if findings:
        return findings
    message = str(exc.message).splitlines()[0]
    return [Finding("settings", "fail", message, fix=exc.hint or "fix the setting named above")]


def lookalikes(directory: Path) -> list[Finding]:
    """Files that look like settings but are never read (only .json and .toml are)."""
    if not directory.is_dir():
        return []
    return [
        Finding(
            "settings",
            "warn",
            f"{path.name} is ignored: only .json and .toml settings files are read",
            subject=str(path),
            fix=f"convert {path.name} to TOML or JSON, or move it out of {directory}",
        )
        for path in sorted(directory.iterdir())
        if path.is_file() and path.suffix in IGNORED_LOOKALIKES
    ]
