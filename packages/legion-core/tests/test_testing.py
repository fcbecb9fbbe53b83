from pathlib import Path

import pytest

from legion.core.testing import import_cost

HEAVY = """
import jinja2  # noqa: F401
from legion.core.sdk import Extension
from legion.extensions.zzheavy import runner
extension = Extension(name="zzheavy", version="1", runners=[runner])
"""


def test_import_cost_reports_heavy_modules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pkg = tmp_path / "legion" / "extensions" / "zzheavy"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text(HEAVY)
    (pkg / "runner.py").write_text("def go(x: int) -> int:\n    return x\n")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    cost = import_cost("legion.extensions.zzheavy")
    assert cost.functions == 1
    assert "jinja2" in cost.heavy


def test_import_cost_of_a_broken_module_is_an_error() -> None:
    with pytest.raises(AssertionError, match=r"loading legion\.extensions\.nope failed"):
        import_cost("legion.extensions.nope")
