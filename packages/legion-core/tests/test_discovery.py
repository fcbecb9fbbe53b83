"""Discovery against real distributions: dist-info directories put on sys.path by the test."""

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from legion.core.catalog import Catalog
from legion.core.extensions import discovery
from legion.core.settings import load_settings

GOOD = """
from legion.core.sdk import Extension
from legion.extensions.{name} import runner
extension = Extension(name="{name}", version="9.9", runners=[runner], requires={requires})
"""
RUNNER = '''
def hello(who: str = "world") -> str:
    """Say hello."""
    return f"hello {who}"
'''


def add_dist(
    root: Path, dist: str, name: str, module_body: str | None, value: str | None = None
) -> None:
    info = root / f"{dist.replace('-', '_')}-1.0.dist-info"
    info.mkdir(parents=True)
    info.joinpath("METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
    value = value or f"legion.extensions.{name}:extension"
    info.joinpath("entry_points.txt").write_text(f"[legion.extensions]\n{name} = {value}\n")
    if module_body is not None:
        pkg = root / "legion" / "extensions" / name
        pkg.mkdir(parents=True)
        pkg.joinpath("__init__.py").write_text(module_body)
        pkg.joinpath("runner.py").write_text(RUNNER)


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    root = tmp_path / "site"
    root.mkdir()
    monkeypatch.syspath_prepend(str(root))
    discovery.clear_cache()
    yield root
    discovery.clear_cache()
    for mod in [m for m in sys.modules if m.startswith("legion.extensions.zz")]:
        del sys.modules[mod]


def records(env: dict[str, str] | None = None, provided: frozenset[str] = frozenset()):  # type: ignore[no-untyped-def]
    settings = load_settings(env={"LEGION_SETTINGS_DIRS": "/nonexistent", **(env or {})})
    found = discovery.discover(settings, provided)
    return {r.name: r for r in found if r.name.startswith("zz")}


def test_good_broken_and_wrong_type_extensions(site: Path) -> None:
    add_dist(site, "lex-zzgood", "zzgood", GOOD.format(name="zzgood", requires="set()"))
    add_dist(site, "lex-zzbroken", "zzbroken", "raise RuntimeError('boom at import')\n")
    add_dist(site, "lex-zzwrong", "zzwrong", "extension = 42\n")
    add_dist(
        site,
        "lex-zzname",
        "zzname",
        GOOD.format(name="zzother", requires="set()").replace(
            "legion.extensions.zzother import", "legion.extensions.zzname import"
        ),
    )
    found = records()
    assert found["zzgood"].status == "loaded" and found["zzgood"].version == "9.9"
    assert found["zzbroken"].status == "failed"
    assert "RuntimeError: boom at import" in (found["zzbroken"].reason or "")
    assert "boom at import" in (found["zzbroken"].traceback or "")
    assert found["zzwrong"].status == "failed" and "not a legion.core.sdk.Extension" in (
        found["zzwrong"].reason or ""
    )
    assert found["zzname"].status == "failed" and "zzother" in (found["zzname"].reason or "")


def test_broken_extension_does_not_stop_the_registry(site: Path) -> None:
    add_dist(site, "lex-zzbroken", "zzbroken", "import no_such_module_anywhere\n")
    add_dist(site, "lex-zzgood", "zzgood", GOOD.format(name="zzgood", requires="set()"))
    catalog = Catalog.load(load_settings(env={"LEGION_SETTINGS_DIRS": "/nonexistent"}))
    assert catalog.registry.get("zzgood.runner.hello").invoke({"who": "x"}) == "hello x"
    assert catalog.record("zzbroken").status == "failed"


def test_disabled_by_env_is_never_imported(site: Path) -> None:
    add_dist(site, "lex-zzbroken", "zzbroken", "raise RuntimeError('must not import')\n")
    found = records({"LEGION_DISABLED_EXTENSIONS": "zzbroken"})
    assert found["zzbroken"].status == "disabled"
    assert found["zzbroken"].reason == "disabled by env LEGION_DISABLED_EXTENSIONS"
    assert "legion.extensions.zzbroken" not in sys.modules


def test_requirements_not_provided_skip_with_reason(site: Path) -> None:
    add_dist(site, "lex-zzdata", "zzdata", GOOD.format(name="zzdata", requires="{'data', 'cache'}"))
    assert records()["zzdata"].status == "skipped"
    assert records()["zzdata"].reason == "requires cache, data, which this node does not provide"
    assert records(provided=frozenset({"data", "cache"}))["zzdata"].status == "loaded"


def test_role_profiles(site: Path) -> None:
    add_dist(site, "lex-zzgood", "zzgood", GOOD.format(name="zzgood", requires="set()"))
    assert records({"LEGION_ROLE__PROFILE": "core"})["zzgood"].status == "skipped"
    custom = records({"LEGION_ROLE__PROFILE": "custom", "LEGION_ROLE__EXTENSIONS": '["zzgood"]'})
    assert custom["zzgood"].status == "loaded"


def test_duplicate_names_keep_the_first(site: Path) -> None:
    add_dist(site, "lex-zzgood", "zzgood", GOOD.format(name="zzgood", requires="set()"))
    add_dist(site, "lex-zzgood-fork", "zzgood", None)
    found = discovery.discover(load_settings(env={"LEGION_SETTINGS_DIRS": "/nonexistent"}))
    mine = [r for r in found if r.name == "zzgood"]
    assert [r.status for r in mine].count("failed") == 1
    assert any("duplicate extension name" in (r.reason or "") for r in mine)


def test_scan_is_cached_until_cleared(site: Path) -> None:
    before = records()
    add_dist(site, "lex-zzlate", "zzlate", GOOD.format(name="zzlate", requires="set()"))
    assert "zzlate" not in records()
    discovery.clear_cache()
    assert "zzlate" in records() and "zzlate" not in before
