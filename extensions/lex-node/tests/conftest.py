"""Real lite runtimes (SQLite under a temporary LEGION_HOME) with only lex-node loaded."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from legion.core.catalog import Catalog
from legion.core.extensions.discovery import ExtensionRecord
from legion.core.registry import CapabilityRegistry
from legion.core.runtime import Runtime
from legion.core.settings import load_settings
from legion.extensions.node import extension

MakeRuntime = Callable[..., Runtime]


@pytest.fixture
def make_runtime(tmp_path: Path) -> Iterator[MakeRuntime]:
    opened: list[Runtime] = []

    def make(**overrides: Any) -> Runtime:
        env = {"LEGION_HOME": str(tmp_path / "home"), "LEGION_SETTINGS_DIRS": "/nonexistent"}
        settings = load_settings(overrides, env=env)
        registry = CapabilityRegistry()
        registry.add(extension)
        record = ExtensionRecord(
            "node",
            "legion.extensions.node:extension",
            "lex-node",
            extension.version,
            "loaded",
            extension=extension,
        )
        runtime = Runtime.open(settings, Catalog(settings, [record], registry))
        runtime.start()
        opened.append(runtime)
        return runtime

    yield make
    for runtime in opened:
        runtime.stop()


@pytest.fixture
def runtime(make_runtime: MakeRuntime) -> Runtime:
    return make_runtime()
