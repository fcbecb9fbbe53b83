"""Loading the extension, as discovery and `legion lex list` do, stays cheap.

Importing the package, reading its `extension` and building its input schemas must not pull in
the database, the engine, the runtime, templating or HTTP: those load when a function runs.
Checked in a fresh interpreter, so modules other tests imported do not count.
"""

from __future__ import annotations

import json
import subprocess
import sys

NAME = "node"

CODE = """
import json, sys
from legion.core.registry import CapabilityRegistry
import legion.extensions.{name} as package
registry = CapabilityRegistry()
registry.add(package.extension)
schemas = [c.input_schema for c in registry]
heavy_roots = {{"sqlalchemy", "sqlmodel", "alembic", "jinja2", "jsonpath_ng", "croniter", "httpx"}}
heavy_legion = (
    "legion.core.runtime", "legion.core.store", "legion.core.engine",
    "legion.core.conditions", "legion.core.transformations",
)
loaded = sorted(
    m for m in sys.modules
    if m.split(".")[0] in heavy_roots
    or any(m == h or m.startswith(h + ".") for h in heavy_legion)
)
print(json.dumps({{"functions": len(schemas), "heavy": loaded}}))
"""


def test_loading_the_extension_imports_no_heavy_module() -> None:
    result = subprocess.run(
        [sys.executable, "-c", CODE.format(name=NAME)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["functions"] > 0
    assert report["heavy"] == []
