"""Fixtures for the message-security tests: an isolated LEGION_HOME and settings built from it.

Every test gets its own LEGION_HOME and settings directory, so keys written by one test (or on the
host) never reach another; no test needs the network.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from legion.core.settings import Settings, load_settings


@pytest.fixture(autouse=True)
def legion_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path / "legion-home"
    (home / "settings").mkdir(parents=True)
    monkeypatch.setenv("LEGION_HOME", str(home))
    monkeypatch.setenv("LEGION_SETTINGS_DIRS", str(home / "settings"))
    for name in ("LEGION_MODE", "LEGION_VAULT__ADDRESS", "LEGION_VAULT__TOKEN"):
        monkeypatch.delenv(name, raising=False)
    for name in ("LEGION_CRYPT__CLUSTER_SECRET", "LEGION_CRYPT__PREVIOUS_CLUSTER_SECRET"):
        monkeypatch.delenv(name, raising=False)
    yield home


@pytest.fixture
def make_settings(legion_home: Path) -> Callable[..., Settings]:
    """Full-mode settings for this test's home, with dotted overrides."""

    def build(**overrides: Any) -> Settings:
        dotted = {key.replace("__", "."): value for key, value in overrides.items()}
        return load_settings({"mode": "full", **dotted})

    return build
