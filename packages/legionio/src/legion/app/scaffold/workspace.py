"""Whether a new project lands inside a uv workspace that builds legion-core from source.

Inside one (the Legion monorepo), the project must take legion-core from the workspace and its
Pants addresses are relative to the workspace root; anywhere else, a `workspace = true` source
would make the project uninstallable, so it is left out.
"""

from __future__ import annotations

import fnmatch
import tomllib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

CORE = "legion-core"


@dataclass(frozen=True)
class Placement:
    """Where a new project sits: `rel` is its path from the workspace root, if it is in one."""

    workspace_root: Path | None
    rel: PurePosixPath | None

    @property
    def in_workspace(self) -> bool:
        return self.workspace_root is not None


def _uv_table(pyproject: Path) -> dict[str, Any] | None:
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    uv = data.get("tool", {}).get("uv")
    return uv if isinstance(uv, dict) else None


def _matches(rel: str, patterns: Any) -> bool:
    return isinstance(patterns, list) and any(
        isinstance(p, str) and fnmatch.fnmatchcase(rel, p.rstrip("/")) for p in patterns
    )


def placement(project_dir: Path) -> Placement:
    """Find the nearest uv workspace above `project_dir` whose members include it."""
    for directory in project_dir.parents:
        pyproject = directory / "pyproject.toml"
        if not pyproject.is_file():
            continue
        uv = _uv_table(pyproject)
        workspace = uv.get("workspace") if uv else None
        if not isinstance(workspace, dict) or uv is None:
            continue
        rel = PurePosixPath(project_dir.relative_to(directory).as_posix())
        sources = uv.get("sources", {})
        core = sources.get(CORE) if isinstance(sources, dict) else None
        if (
            _matches(str(rel), workspace.get("members"))
            and not _matches(str(rel), workspace.get("exclude"))
            and isinstance(core, dict)
            and core.get("workspace") is True
        ):
            return Placement(directory, rel)
        break  # the nearest workspace does not take this project in
    return Placement(None, None)
