"""tools/check_layout.py: a clean workspace passes; each kind of drift is reported with its fix."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import check_layout
import pytest
import workspace as workspace_tool

Edit = Callable[[Path, str, str], None]
Write = Callable[[Path, str], Path]
BASE = "packages/legion-base"
ECHO = "extensions/lex-echo"


def problems(root: Path) -> list[str]:
    """Every problem line for the workspace at `root`."""
    return [str(p) for p in check_layout.run_checks(workspace_tool.Workspace.load(root))]


def only(root: Path, *needles: str) -> str:
    """The single problem line; it must contain every needle."""
    lines = problems(root)
    assert len(lines) == 1, lines
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def test_clean_workspace_passes(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert check_layout.main(["--root", str(workspace)]) == 0
    assert capsys.readouterr().out == "layout ok: 2 distributions\n"


def test_directory_name_must_match_the_project_name(workspace: Path, edit: Edit) -> None:
    edit(workspace / BASE / "pyproject.toml", 'name = "legion-base"', 'name = "legion-basis"')
    edit(workspace / BASE / "BUILD", 'name="legion-base"', 'name="legion-basis"')
    edit(workspace / ECHO / "pyproject.toml", "legion-base>=", "legion-basis>=")
    edit(workspace / ECHO / "pyproject.toml", "legion-base = {", "legion-basis = {")
    edit(workspace / "pyproject.toml", "legion-base = {", "legion-basis = {")
    only(workspace, f"{BASE}/pyproject.toml", "'legion-basis'", "'legion-base'", "rename")


def test_pants_provides_name_must_match(workspace: Path, edit: Edit) -> None:
    edit(
        workspace / BASE / "BUILD",
        'python_artifact(name="legion-base")',
        'python_artifact(name="x")',
    )
    only(workspace, f"{BASE}/BUILD", "provides 'x'", 'python_artifact(name="legion-base")')


def test_missing_pants_distribution_is_reported(workspace: Path) -> None:
    (workspace / ECHO / "BUILD").unlink()
    only(workspace, f"{ECHO}/BUILD", "no Pants python_distribution", "generate_setup=False")


def test_generate_setup_true_is_reported(workspace: Path, edit: Edit) -> None:
    edit(workspace / ECHO / "BUILD", "generate_setup=False", "generate_setup=True")
    only(workspace, f"{ECHO}/BUILD", "generate_setup=True")


@pytest.mark.parametrize("namespace", ["legion", "legion/extensions"])
def test_namespace_init_is_reported(workspace: Path, write: Write, namespace: str) -> None:
    write(workspace / ECHO / "src" / namespace / "__init__.py", "")
    only(workspace, f"{ECHO}/src/{namespace}/__init__.py", "namespace", "delete it")


def test_missing_third_party_requirement(workspace: Path, edit: Edit) -> None:
    edit(workspace / "requirements/third-party.txt", "respx>=0.21\n", "")
    only(workspace, "requirements/third-party.txt", "missing respx>=0.21", "lex-echo", "--fix")


def test_extra_and_first_party_lines_in_third_party(workspace: Path, edit: Edit) -> None:
    path = workspace / "requirements/third-party.txt"
    edit(path, "attrs>=23\n", "attrs>=23\nlegion-base>=0.1\nrequests\n")
    lines = problems(workspace)
    assert len(lines) == 2, lines
    assert "first-party legion-base must never enter the Pants resolve" in lines[0]
    assert "requests is required by no pyproject" in lines[1]


def test_third_party_version_drift(workspace: Path, edit: Edit) -> None:
    edit(workspace / "requirements/third-party.txt", "attrs>=23", "attrs>=22")
    only(workspace, "says attrs>=22 but the pyprojects say attrs>=23")


def test_missing_third_party_file_names_the_fix(workspace: Path) -> None:
    (workspace / "requirements/third-party.txt").unlink()
    only(workspace, "requirements/third-party.txt: missing", "tools/pants generate-lockfiles")


def test_fix_writes_the_union_sorted_with_the_header(
    workspace: Path, edit: Edit, capsys: pytest.CaptureFixture[str]
) -> None:
    path = workspace / "requirements/third-party.txt"
    path.write_text("legion-base\nrequests\n", encoding="utf-8")
    edit(workspace / BASE / "pyproject.toml", '"attrs>=23"', '"attrs>=23", "Zope.Interface>=6"')
    assert check_layout.main(["--root", str(workspace), "--fix"]) == 0
    assert path.read_text(encoding="utf-8").splitlines() == [
        check_layout.THIRD_PARTY_HEADER,
        "attrs>=23",
        "httpx[http2]>=0.27",
        "pytest>=8",
        "respx>=0.21",
        "Zope.Interface>=6",
    ]
    err = capsys.readouterr().err
    assert "tools/pants generate-lockfiles" in err
    assert check_layout.main(["--root", str(workspace), "--fix"]) == 0
    assert "generate-lockfiles" not in capsys.readouterr().err  # nothing changed, nothing to do


def test_same_dependency_in_two_packages_is_merged(workspace: Path, edit: Edit) -> None:
    edit(workspace / BASE / "pyproject.toml", 'test = ["pytest>=8"]', 'test = ["pytest>=8,<10"]')
    assert check_layout.fix_third_party(workspace_tool.Workspace.load(workspace))
    text = (workspace / "requirements/third-party.txt").read_text(encoding="utf-8")
    assert "pytest>=8,<10\n" in text
    assert problems(workspace) == []


def test_range_that_does_not_admit_the_in_repo_version(workspace: Path, edit: Edit) -> None:
    edit(workspace / BASE / "src/legion/base/_version.py", "0.1.0", "0.2.0")
    only(workspace, f"{ECHO}/pyproject.toml", "does not admit", "legion-base>=0.2,<0.3")


def test_exact_pin_on_first_party_is_reported(workspace: Path, edit: Edit) -> None:
    edit(workspace / ECHO / "pyproject.toml", "legion-base>=0.1,<0.2", "legion-base==0.1.0")
    only(workspace, "pins a first-party version", "legion-base>=0.1,<0.2")


def test_first_party_name_not_in_repo_is_reported(workspace: Path, edit: Edit) -> None:
    edit(workspace / ECHO / "pyproject.toml", '"httpx[http2]>=0.27"', '"legion-mcp>=0.1"')
    edit(workspace / "requirements/third-party.txt", "httpx[http2]>=0.27\n", "")
    only(workspace, "depends on legion-mcp, which is not in this repository")


def test_missing_workspace_source_in_package(workspace: Path, edit: Edit) -> None:
    edit(workspace / ECHO / "pyproject.toml", "legion-base = { workspace = true }", "")
    only(workspace, f"{ECHO}/pyproject.toml", "legion-base has no workspace source")


def test_missing_workspace_source_in_root(workspace: Path, edit: Edit) -> None:
    edit(workspace / "pyproject.toml", "lex-echo = { workspace = true }", "")
    only(workspace, "pyproject.toml: [tool.uv.sources] lacks lex-echo")


def test_entry_point_module_must_exist(workspace: Path) -> None:
    (workspace / ECHO / "src/legion/extensions/echo/__init__.py").unlink()
    only(workspace, "entry point legion.extensions:echo", "module legion.extensions.echo not found")


def test_package_files_are_required(workspace: Path) -> None:
    (workspace / BASE / "CHANGELOG.md").unlink()
    (workspace / BASE / "tests/test_it.py").unlink()
    (workspace / ECHO / "src/legion/extensions/echo/py.typed").unlink()
    lines = problems(workspace)
    assert [line.split(":")[0] for line in lines] == [
        f"{ECHO}/src/legion/extensions/echo/py.typed",
        f"{BASE}/CHANGELOG.md",
        f"{BASE}/tests",
    ]


def test_py_typed_in_the_namespace_is_reported(workspace: Path, write: Write) -> None:
    write(workspace / BASE / "src/legion/py.typed", "")
    only(workspace, f"{BASE}/src/legion/py.typed", "collides")


def test_wheels_with_namespace_files_are_reported(tmp_path: Path) -> None:
    good, bad = tmp_path / "good-0.1-py3-none-any.whl", tmp_path / "bad-0.1-py3-none-any.whl"
    with zipfile.ZipFile(good, "w") as archive:
        archive.writestr("legion/base/__init__.py", "")
    with zipfile.ZipFile(bad, "w") as archive:
        archive.writestr("legion/__init__.py", "")
        archive.writestr("legion/extensions/__init__.py", "")
    assert check_layout.wheel_problems(good) == []
    found = check_layout.check_wheels(tmp_path)
    assert [p.problem.split(",")[0] for p in found] == [
        "contains legion/__init__.py",
        "contains legion/extensions/__init__.py",
    ]


def test_json_output(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (workspace / ECHO / "BUILD").unlink()
    assert check_layout.main(["--root", str(workspace), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False and report["distributions"] == 2
    assert [p["check"] for p in report["problems"]] == ["names"]


@pytest.mark.parametrize(
    ("specifier", "version", "expected"),
    [
        (">=0.1,<0.2", "0.1.5", True),
        (">=0.1,<0.2", "0.2.0", False),
        (">=1.2,<2", "1.10.0", True),
        ("~=1.4", "1.9", True),
        ("~=1.4.2", "1.5.0", False),
        ("==0.1.*", "0.1.7", True),
        ("!=0.1.3", "0.1.3", False),
    ],
)
def test_specifier_fallback_agrees_with_packaging(
    specifier: str, version: str, expected: bool
) -> None:
    fallback = all(check_layout._clause_admits(c, version) for c in specifier.split(","))
    assert fallback is expected
    assert check_layout.admits(specifier, version) is expected


@pytest.mark.parametrize(
    ("version", "expected"),
    [("0.1.0", ">=0.1,<0.2"), ("0.2.3", ">=0.2,<0.3"), ("1.4.0", ">=1.4,<2"), ("2", ">=2.0,<3")],
)
def test_compatible_range(version: str, expected: str) -> None:
    assert check_layout.compatible_range(version) == expected
