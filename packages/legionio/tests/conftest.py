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
    for name in ("LEGION_DISABLED_EXTENSIONS", "LEGION_MODE", "LEGION_DEBUG"):
        monkeypatch.delenv(name, raising=False)
    yield home
