"""Checks extension authors use in their own tests (each extension's tests need only
legion-core and the extension itself)."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass

# Modules that must load only when a function runs, never when an extension is discovered.
HEAVY_ROOTS = frozenset(
    {"sqlalchemy", "sqlmodel", "alembic", "jinja2", "jsonpath_ng", "croniter", "httpx"}
)
HEAVY_LEGION = (
    "legion.core.runtime",
    "legion.core.store",
    "legion.core.engine",
    "legion.core.conditions",
    "legion.core.transformations",
)

_PROBE = """
import json, sys
from legion.core.registry import CapabilityRegistry
import {module} as package
registry = CapabilityRegistry()
registry.add(package.extension)
schemas = [c.input_schema for c in registry]
roots, legion = {roots!r}, {legion!r}
heavy = sorted(m for m in sys.modules if m.split(".")[0] in roots
               or any(m == h or m.startswith(h + ".") for h in legion))
print(json.dumps({{"functions": len(schemas), "heavy": heavy}}))
"""


@dataclass(frozen=True)
class ImportCost:
    functions: int
    heavy: list[str]


def import_cost(module: str) -> ImportCost:
    """Load an extension the way discovery does (import, register, build every schema) in a
    fresh interpreter, and report which heavy modules that pulled in."""
    code = _PROBE.format(module=module, roots=set(HEAVY_ROOTS), legion=HEAVY_LEGION)
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    if result.returncode != 0:
        raise AssertionError(f"loading {module} failed:\n{result.stderr}")
    data = json.loads(result.stdout)
    return ImportCost(int(data["functions"]), list(data["heavy"]))
