"""tools/workspace.py: discovery, the first-party graph, change selection and the CI matrix."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import workspace as workspace_tool

Write = Callable[[Path, str], Path]


def test_discovers_names_versions_and_dependencies(workspace: Path) -> None:
    ws = workspace_tool.Workspace.load(workspace)
    assert sorted(ws.distributions) == ["legion-base", "lex-echo"]
    echo = ws.get("lex_echo")
    assert (echo.version, echo.rel) == ("0.2.0", "extensions/lex-echo")
    assert [str(r) for r in echo.dependencies] == ["legion-base>=0.1,<0.2", "httpx[http2]>=0.27"]
    assert [str(r) for r in echo.test_dependencies] == ["pytest>=8", "respx>=0.21"]
    assert echo.entry_points == {"legion.extensions": {"echo": "legion.extensions.echo:extension"}}


def test_graph_closure_and_dependants(workspace: Path) -> None:
    ws = workspace_tool.Workspace.load(workspace)
    assert ws.graph() == {"legion-base": [], "lex-echo": ["legion-base"]}
    assert ws.closure(["lex-echo"]) == ["legion-base", "lex-echo"]
    assert ws.closure(["legion-base"]) == ["legion-base"]
    assert ws.dependants(["legion-base"]) == ["lex-echo"]
    assert ws.dependants(["lex-echo"]) == []


def test_transitive_dependants_and_test_group_edges(workspace: Path, write: Write) -> None:
    write(
        workspace / "extensions/lex-top/pyproject.toml",
        """\
        [project]
        name = "lex-top"
        version = "0.1.0"
        dependencies = ["lex-echo>=0.2,<0.3"]
        [dependency-groups]
        unit = ["legion-base>=0.1,<0.2"]
        test = [{include-group = "unit"}, "pytest>=8"]
        """,
    )
    ws = workspace_tool.Workspace.load(workspace)
    assert ws.dependants(["legion-base"]) == ["lex-echo", "lex-top"]
    assert ws.first_party_deps("lex-top") == ["legion-base", "lex-echo"]
    assert ws.first_party_deps("lex-top", include_test=False) == ["lex-echo"]
    assert ws.closure(["lex-top"]) == ["legion-base", "lex-echo", "lex-top"]


def test_first_party_names_are_recognised_even_when_not_in_repo(workspace: Path) -> None:
    ws = workspace_tool.Workspace.load(workspace)
    assert ws.is_first_party("legion-mcp") and ws.is_first_party("Lex_Other")
    assert ws.is_first_party("legionio")
    assert not ws.is_first_party("httpx")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("pydantic >= 2.7", "pydantic>=2.7"),
        (
            "Foo_Bar[b, a] >=1,<2 ; python_version < '3.12'",
            "Foo_Bar[a,b]>=1,<2; python_version < '3.12'",
        ),
        ("pkg @ https://example.invalid/pkg.whl", "pkg @ https://example.invalid/pkg.whl"),
        ("plain", "plain"),
    ],
)
def test_requirement_round_trip(text: str, expected: str) -> None:
    assert str(workspace_tool.parse_requirement(text)) == expected


def test_unparseable_requirement_names_the_text() -> None:
    with pytest.raises(workspace_tool.WorkspaceError, match="not-a-spec"):
        workspace_tool.parse_requirement("httpx not-a-spec")


def test_changed_since_selects_owner_and_dependants(
    git_workspace: Path, capsys: pytest.CaptureFixture[str], write: Write
) -> None:
    write(git_workspace / "packages/legion-base/src/legion/base/new.py", "X = 1\n")
    assert workspace_tool.main(["--root", str(git_workspace), "--changed-since", "main"]) == 0
    assert capsys.readouterr().out.split() == ["legion-base", "0.1.0", "packages/legion-base"]
    argv = [
        "--root",
        str(git_workspace),
        "--changed-since",
        "main",
        "--with-dependants",
        "--matrix",
    ]
    assert workspace_tool.main(argv) == 0
    matrix = json.loads(capsys.readouterr().out)
    assert {(m["package"], m["python"]) for m in matrix["include"]} == {
        (p, v) for p in ("legion-base", "lex-echo") for v in ("3.11", "3.12", "3.13")
    }


def test_changed_leaf_selects_only_itself(
    git_workspace: Path, capsys: pytest.CaptureFixture[str], edit: Callable[[Path, str, str], None]
) -> None:
    edit(git_workspace / "extensions/lex-echo/README.md", "# lex-echo", "# lex-echo, better")
    argv = [
        "--root",
        str(git_workspace),
        "--changed-since",
        "main",
        "--with-dependants",
        "--matrix",
    ]
    assert workspace_tool.main(argv) == 0
    assert {m["package"] for m in json.loads(capsys.readouterr().out)["include"]} == {"lex-echo"}


def test_shared_files_select_everything_and_docs_nothing(git_workspace: Path) -> None:
    ws = workspace_tool.Workspace.load(git_workspace)
    assert ws.affected_by(["uv.lock"]) == ["legion-base", "lex-echo"]
    assert ws.affected_by(["tools/isolation.py"]) == ["legion-base", "lex-echo"]
    assert ws.affected_by(["docs/releasing.md", "README.md"]) == []


def test_no_change_gives_an_empty_matrix(
    git_workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--root", str(git_workspace), "--changed-since", "main", "--matrix"]
    assert workspace_tool.main(argv) == 0
    assert capsys.readouterr().out.strip() == '{"include":[]}'


def test_unknown_ref_explains_how_to_fetch(
    git_workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        workspace_tool.main(["--root", str(git_workspace), "--changed-since", "origin/nope"]) == 1
    )
    assert "fetch" in capsys.readouterr().err


def test_release_tag_must_match_the_version_file(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert workspace_tool.main(["--root", str(workspace), "--release-tag", "lex-echo/v0.2.0"]) == 0
    assert capsys.readouterr().out.split() == [
        "name=lex-echo",
        "version=0.2.0",
        "path=extensions/lex-echo",
    ]
    assert workspace_tool.main(["--root", str(workspace), "--release-tag", "lex-echo/v0.3.0"]) == 1
    assert "_version.py says 0.2.0" in capsys.readouterr().err
    assert workspace_tool.main(["--root", str(workspace), "--release-tag", "v0.2.0"]) == 1
    assert "<dist>/v<version>" in capsys.readouterr().err


def test_two_members_with_one_name_are_refused(workspace: Path, write: Write) -> None:
    write(
        workspace / "extensions/legion-base/pyproject.toml",
        '[project]\nname = "legion_base"\nversion = "0.1.0"\n',
    )
    with pytest.raises(workspace_tool.WorkspaceError, match="both declare"):
        workspace_tool.Workspace.load(workspace)
