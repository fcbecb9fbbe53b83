"""Writing a rendered set of files all-or-nothing: checked first, undone if a write fails.

Generators build a `FilePlan` in memory; only `write` touches the disk, so a refused name or an
existing target leaves the tree exactly as it was.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from legion.core.errors import LegionError, UsageError


@dataclass
class CreatedFiles:
    """What a scaffold call wrote (new and updated files, absolute paths) under `root`."""

    root: Path
    files: list[Path] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"root": str(self.root), "files": [str(f) for f in self.files]}


@dataclass
class FilePlan:
    """New files (path -> text) and updates (path -> (text read, text to write)) under `root`."""

    root: Path
    new: dict[Path, str] = field(default_factory=dict)
    updates: dict[Path, tuple[str, str]] = field(default_factory=dict)

    def add(self, path: Path, text: str) -> None:
        if path in self.new:
            raise ValueError(f"{path} is rendered twice")
        self.new[path] = text

    def update(self, path: Path, old: str, text: str) -> None:
        self.updates[path] = (old, text)

    def check(self) -> None:
        """Refuse to overwrite: every new file must not exist yet."""
        for path in sorted(self.new):
            if path.exists() or path.is_symlink():
                raise UsageError(
                    f"{path} already exists",
                    hint="choose another name, or move the existing file away first",
                )

    def write(self) -> CreatedFiles:
        """Write everything, or on any OSError undo what was written and raise a LegionError."""
        self.check()
        made_dirs: list[Path] = []
        written: list[Path] = []
        restored: dict[Path, str] = {}
        current = self.root
        try:
            for path, text in sorted(self.new.items()):
                current = path
                make_dirs(path.parent, made_dirs)
                with path.open("x", encoding="utf-8", newline="") as handle:
                    written.append(path)
                    handle.write(text)
            for path, (old, text) in sorted(self.updates.items()):
                current = path
                if read_text(path) != old:
                    raise OSError(f"{path.name} changed while the new files were being written")
                replace_text(path, text)
                restored[path] = old
        except OSError as exc:
            undo(written, restored, made_dirs)
            reason = exc.strerror or str(exc)
            raise LegionError(
                f"could not write {current}: {reason}; nothing was left behind",
                hint="check the directory's permissions and free space, then run it again",
            ) from exc
        files = sorted([*self.new, *self.updates])
        return CreatedFiles(self.root, files)


def read_text(path: Path) -> str:
    """Text as stored (line endings kept), so an edit can write the rest back unchanged."""
    with path.open(encoding="utf-8", newline="") as handle:
        return handle.read()


def make_dirs(directory: Path, made: list[Path]) -> None:
    """Create `directory` and missing parents, recording each one created for `undo`."""
    missing = []
    while not directory.exists():
        missing.append(directory)
        directory = directory.parent
    for path in reversed(missing):
        path.mkdir()
        made.append(path)


def replace_text(path: Path, text: str) -> None:
    """Replace a file's content atomically, keeping its permissions."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        shutil.copymode(path, tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def undo(written: list[Path], restored: dict[Path, str], made_dirs: list[Path]) -> None:
    """Best effort: restore updated files, remove new ones and the directories made for them."""
    for path, old in restored.items():
        with contextlib.suppress(OSError):
            replace_text(path, old)
    for path in reversed(written):
        with contextlib.suppress(OSError):
            path.unlink()
    for directory in reversed(made_dirs):
        with contextlib.suppress(OSError):
            directory.rmdir()
