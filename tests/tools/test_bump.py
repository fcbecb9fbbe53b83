"""tools/bump.py: version arithmetic, file rewrites, and the report on dependants' ranges."""

from __future__ import annotations

from pathlib import Path

import bump
import pytest
import workspace as workspace_tool

BASE = "packages/legion-base"


@pytest.mark.parametrize(
    ("part", "expected"), [("major", "1.0.0"), ("minor", "0.4.0"), ("patch", "0.3.8")]
)
def test_bumped(part: str, expected: str) -> None:
    assert bump.bumped("0.3.7", part) == expected


def test_only_plain_versions_are_bumped() -> None:
    with pytest.raises(workspace_tool.WorkspaceError, match="by hand"):
        bump.bumped("0.3.0rc1", "patch")


def test_rewrite_version_keeps_the_rest_of_the_file() -> None:
    text = '"""Doc."""\n\n__version__ = \'0.1.0\'\nOTHER = "0.1.0"\n'
    assert (
        bump.rewrite_version(text, "0.2.0")
        == '"""Doc."""\n\n__version__ = \'0.2.0\'\nOTHER = "0.1.0"\n'
    )


def test_changelog_heading_goes_above_the_newest_section_once() -> None:
    text = "# Changelog\n\nIntro.\n\n## 0.1.0 — unreleased\n- First.\n"
    once = bump.add_changelog_heading(text, "0.2.0")
    assert (
        once
        == "# Changelog\n\nIntro.\n\n## 0.2.0 — unreleased\n\n## 0.1.0 — unreleased\n- First.\n"
    )
    assert bump.add_changelog_heading(once, "0.2.0") == once


def test_minor_bump_reports_dependants_whose_range_breaks(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert bump.main(["legion-base", "minor", "--root", str(workspace)]) == 1
    out = capsys.readouterr().out
    assert "bumped legion-base 0.1.0 -> 0.2.0" in out
    assert "extensions/lex-echo/pyproject.toml: legion-base>=0.1,<0.2 does not admit" in out
    assert "write legion-base>=0.2,<0.3" in out
    assert workspace_tool.Workspace.load(workspace).get("legion-base").version == "0.2.0"
    changelog = (workspace / BASE / "CHANGELOG.md").read_text(encoding="utf-8")
    assert changelog.index("## 0.2.0") < changelog.index("## 0.1.0")


def test_patch_bump_keeps_dependants_happy(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert bump.main(["legion-base", "patch", "--root", str(workspace)]) == 0
    assert "every first-party range on legion-base admits 0.1.1" in capsys.readouterr().out


def test_dry_run_changes_nothing_but_still_reports(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = (workspace / BASE / "src/legion/base/_version.py").read_text(encoding="utf-8")
    assert bump.main(["legion-base", "major", "--root", str(workspace), "--dry-run"]) == 1
    assert "would bump legion-base 0.1.0 -> 1.0.0" in capsys.readouterr().out
    assert (workspace / BASE / "src/legion/base/_version.py").read_text(encoding="utf-8") == before


def test_unknown_distribution(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert bump.main(["legion-nope", "patch", "--root", str(workspace)]) == 2
    assert "no distribution 'legion-nope'" in capsys.readouterr().err
