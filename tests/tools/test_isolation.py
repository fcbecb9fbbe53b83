"""tools/isolation.py: the parts that need neither a network nor a wheel build.

The full run (build, venvs, installs) is exercised by `./test`; here: finding uv, what gets
installed, the pre-install refusals, the post-install verification, and the import guard.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import isolation
import pytest
import workspace as workspace_tool

Edit = Callable[[Path, str, str], None]
Write = Callable[[Path, str], Path]


def context(root: Path) -> isolation.Context:
    """A context whose wheels are placeholders: enough for everything before `uv venv`."""
    ws = workspace_tool.Workspace.load(root)
    wheels = {key: root / "wheels" / f"{key}-0-py3-none-any.whl" for key in ws.distributions}
    return isolation.Context(("uv",), ws, wheels, root / "c.txt", root / "scratch", {})


def test_find_uv_prefers_the_env_var_then_path(tmp_path: Path) -> None:
    fake = tmp_path / "uv"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    assert isolation.find_uv({"UV": "/opt/uv", "PATH": str(tmp_path)}) == ("/opt/uv",)
    assert isolation.find_uv({"PATH": str(tmp_path)}) == (str(fake),)


def test_find_uv_falls_back_to_the_module_or_explains(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(isolation.importlib.util, "find_spec", lambda name: object())
    assert isolation.find_uv({"PATH": str(tmp_path)}) == (sys.executable, "-m", "uv")
    monkeypatch.setattr(isolation.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(isolation.IsolationError, match="pip install uv"):
        isolation.find_uv({"PATH": str(tmp_path)})


def test_install_command_passes_a_local_wheel_for_every_first_party_name(workspace: Path) -> None:
    ctx = context(workspace)
    echo = ctx.workspace.get("lex-echo")
    command = isolation.install_command(ctx, echo, Path("/venv/bin/python"))
    assert command[:6] == ["uv", "pip", "install", "--python", "/venv/bin/python", "--strict"]
    assert command[6:8] == ["--constraints", str(workspace / "c.txt")]
    assert command[8:] == [
        str(ctx.wheels["legion-base"]),
        str(ctx.wheels["lex-echo"]),
        "pytest>=8",
        "respx>=0.21",
    ]


def test_test_group_first_party_deps_are_installed_as_wheels(workspace: Path, edit: Edit) -> None:
    edit(
        workspace / "packages/legion-base/pyproject.toml", '"pytest>=8"', '"pytest>=8", "lex-echo"'
    )
    ws = workspace_tool.Workspace.load(workspace)
    assert isolation.install_set(ws, "legion-base") == ["legion-base", "lex-echo"]
    command = isolation.install_command(context(workspace), ws.get("legion-base"), Path("py"))
    assert "lex-echo" not in command  # only as a wheel file, never as a name an index could serve


def test_package_without_tests_fails_before_installing(workspace: Path) -> None:
    (workspace / "extensions/lex-echo/tests/test_it.py").unlink()
    result = isolation.test_package(context(workspace), "lex-echo")
    assert (result.ok, result.reason) == (False, "no tests")
    assert "extensions/lex-echo/tests" in result.output


def test_test_group_without_pytest_is_refused(workspace: Path, edit: Edit) -> None:
    edit(workspace / "extensions/lex-echo/pyproject.toml", '"pytest>=8", ', "")
    result = isolation.test_package(context(workspace), "lex-echo")
    assert result.reason == "no pytest in the test group"


def test_unknown_first_party_dependency_is_refused(workspace: Path, edit: Edit) -> None:
    edit(workspace / "extensions/lex-echo/pyproject.toml", '"httpx[http2]>=0.27"', '"legion-mcp"')
    result = isolation.test_package(context(workspace), "lex-echo")
    assert result.reason == "unknown first-party dependency"
    assert "stranger" in result.output


def test_installed_set_is_verified(workspace: Path) -> None:
    ws = workspace_tool.Workspace.load(workspace)
    echo = ws.get("lex-echo")
    good = {"lex-echo": "0.2.0", "legion_base": "0.1.0", "httpx": "0.28.1"}
    assert isolation.check_installed(ws, echo, good) == ("", 1)
    stranger = {**good, "legion-mcp": "0.1.5"}
    assert "legion-mcp" in isolation.check_installed(ws, echo, stranger)[0]
    wrong = {**good, "legion-base": "9.0.0"}
    assert "expected the in-repo 0.1.0" in isolation.check_installed(ws, echo, wrong)[0]


def run_guard(tmp_path: Path, pythonpath: str, module: str) -> tuple[int, dict[str, object]]:
    """Run pytest with the guard on a test importing `module`; legion.fake lives in the checkout."""
    checkout = tmp_path / "checkout"
    (checkout / "src/legion/fake").mkdir(parents=True)
    (checkout / "src/legion/fake/__init__.py").write_text("X = 1\n")
    (checkout / "tests").mkdir()
    (checkout / "tests/test_a.py").write_text(f"import {module}\n\ndef test_a():\n    assert 1\n")
    (checkout / "pytest.ini").write_text("[pytest]\n")
    guard = tmp_path / "guard"
    guard.mkdir()
    (guard / f"{isolation.GUARD_MODULE}.py").write_text(isolation.GUARD_SOURCE)
    report = tmp_path / "report.json"
    command = [sys.executable, *isolation.pytest_command(Path(""), _Dist(), report, checkout)[1:]]
    command += ["-o", f"pythonpath={pythonpath}"]
    done = subprocess.run(
        command, cwd=checkout, env={"PYTHONPATH": str(guard)}, capture_output=True, text=True
    )
    return done.returncode, json.loads(report.read_text())


class _Dist:
    """Just enough of a Distribution for pytest_command."""

    rel = "."


def test_guard_fails_a_run_that_imports_legion_from_the_checkout(tmp_path: Path) -> None:
    code, report = run_guard(tmp_path, "src", "legion.fake")
    assert code == 1
    assert any("legion.fake from" in line for line in report["outside"])  # type: ignore[union-attr]
    assert report["stats"] == {"passed": 1}


def test_guard_ignores_portions_outside_the_checkout(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"  # e.g. a fake site dir a test builds under tmp_path
    (elsewhere / "legion/other").mkdir(parents=True)
    (elsewhere / "legion/other/__init__.py").write_text("")
    code, report = run_guard(tmp_path, str(elsewhere), "legion.other")
    assert (code, report["outside"], report["inside"]) == (0, [], [])


def test_failure_reason_points_at_undeclared_dependencies() -> None:
    output = "E   ModuleNotFoundError: No module named 'httpx'\n"
    assert isolation.failure_reason(2, output) == (
        "collection errors; missing module httpx (an undeclared dependency?)"
    )
    assert isolation.failure_reason(1, "assert 1 == 2") == "tests failed"
