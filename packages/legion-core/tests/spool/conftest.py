"""Fixtures for the spool tests: an isolated LEGION_HOME and a spool directory under it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def legion_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Each test gets its own LEGION_HOME and settings directory; the host's files never leak in."""
    home = tmp_path / "legion-home"
    (home / "settings").mkdir(parents=True)
    monkeypatch.setenv("LEGION_HOME", str(home))
    monkeypatch.setenv("LEGION_SETTINGS_DIRS", str(home / "settings"))
    monkeypatch.delenv("LEGION_MODE", raising=False)
    for name in [n for n in os.environ if n.startswith("LEGION_SPOOL__")]:
        monkeypatch.delenv(name)
    yield home


@pytest.fixture
def spool_path(legion_home: Path) -> Path:
    return legion_home / "spool" / "test"
