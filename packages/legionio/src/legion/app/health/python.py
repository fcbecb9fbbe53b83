"""The interpreter: Legion needs Python 3.11 or newer (the `requires-python` of every package)."""

from __future__ import annotations

import platform
import sys

from legion.app.health.report import Finding

MINIMUM = (3, 11)


def check(version: tuple[int, int, int] | None = None) -> Finding:
    """`version` stands in for the running interpreter's, so the failing case can be tested."""
    major, minor, micro = version or sys.version_info[:3]
    shown = f"Python {major}.{minor}.{micro} ({platform.python_implementation()}, {sys.executable})"
    details = {"version": f"{major}.{minor}.{micro}", "executable": sys.executable}
    if (major, minor) < MINIMUM:
        return Finding(
            "python",
            "fail",
            f"{shown}: Legion needs {MINIMUM[0]}.{MINIMUM[1]} or newer",
            fix=f"install Legion into a Python {MINIMUM[0]}.{MINIMUM[1]}+ environment",
            details=details,
        )
    return Finding("python", "pass", shown, details=details)
