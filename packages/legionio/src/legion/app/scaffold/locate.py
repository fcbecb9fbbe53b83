"""Finds the extension a generator should grow: the nearest pyproject.toml declaring one.

An extension is recognised by its `[project.entry-points."legion.extensions"]` table, the same
thing Legion itself uses to discover it, not by the directory's name.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from legion.core.errors import UsageError

GROUP = "legion.extensions"
TABLE = f'[project.entry-points."{GROUP}"]'


@dataclass(frozen=True)
class ExtensionProject:
    """A `lex-<name>` project on disk in the layout `legion lex create` writes."""

    root: Path
    name: str

    @property
    def package(self) -> Path:
        return self.root / "src" / "legion" / "extensions" / self.name

    @property
    def init(self) -> Path:
        return self.package / "__init__.py"

    @property
    def runners(self) -> Path:
        return self.package / "runners"

    @property
    def tests(self) -> Path:
        return self.root / "tests"


def read_pyproject(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"cannot read {path}: {exc}", hint="fix the file, then retry") from exc


def entry_points(data: dict[str, Any]) -> dict[str, Any]:
    project = data.get("project")
    points = project.get("entry-points") if isinstance(project, dict) else None
    group = points.get(GROUP) if isinstance(points, dict) else None
    return group if isinstance(group, dict) else {}


def project_at(root: Path, points: dict[str, Any]) -> ExtensionProject:
    """Check the entry point has the `legion.extensions.<name>:extension` shape and the files."""
    pyproject = root / "pyproject.toml"
    if len(points) != 1:
        raise UsageError(
            f"{pyproject} declares {len(points)} entries in {TABLE}; expected exactly one",
            hint="run the generator in a project with a single extension",
        )
    ((name, value),) = points.items()
    if value != f"legion.extensions.{name}:extension":
        raise UsageError(
            f"{pyproject}: entry point {name} = {value!r} is not "
            f"'legion.extensions.{name}:extension', the layout the generators know",
            hint="add the runner or actor by hand",
        )
    project = ExtensionProject(root, name)
    if not project.init.is_file() or not (project.runners / "__init__.py").is_file():
        raise UsageError(
            f"{root} has no {project.init.relative_to(root)} with a runners/ package beside it",
            hint="the generators need the layout `legion lex create` writes",
        )
    return project


def find_extension(start: Path | None = None) -> ExtensionProject:
    """The extension whose pyproject.toml is in `start` (default: cwd) or its nearest parent."""
    here = (start if start is not None else Path.cwd()).absolute()
    if not here.is_dir():
        raise UsageError(f"{here} is not a directory", hint="pass the extension's directory")
    looked: list[Path] = []
    for directory in (here, *here.parents):
        pyproject = directory / "pyproject.toml"
        if not pyproject.is_file():
            continue
        looked.append(pyproject)
        points = entry_points(read_pyproject(pyproject))
        if points:
            return project_at(directory, points)
    checked = ", ".join(str(p) for p in looked) if looked else "no pyproject.toml found at all"
    raise UsageError(
        f"not inside a Legion extension: looked for a pyproject.toml with a {TABLE} table "
        f"in {here} and its parents ({checked})",
        hint="cd into a lex-<name> project (see `legion lex create`) or pass --extension-dir",
    )
