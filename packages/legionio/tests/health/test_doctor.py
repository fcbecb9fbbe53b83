"""`legion doctor`: this node's files and settings, with `--fix` for what is safe to repair."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from importlib.metadata import EntryPoint
from pathlib import Path
from typing import Any

import pytest

from legion.app.health import python

from .conftest import CliRunner, by_name

STATUSES = {"pass", "info", "skip", "warn", "fail", "fixed"}
SUBDIRS = ("logs", "run", "keys", "spool")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def findings(rows: list[dict[str, Any]], name: str) -> dict[str | None, dict[str, Any]]:
    return {r["subject"]: r for r in rows if r["name"] == name}


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_fresh_home_reports_missing_directories_and_fix_creates_them(
    legion: CliRunner, legion_home: Path
) -> None:
    result = legion("doctor", "--json")
    rows = result.json()
    home = findings(rows, "home")
    assert result.code == 0  # missing directories are warnings: Legion creates them on use
    assert all(r["status"] in STATUSES for r in rows)
    for sub in SUBDIRS:
        assert home[str(legion_home / sub)]["status"] == "warn"
        assert not (legion_home / sub).exists()

    result = legion("doctor", "--fix", "--json")
    home = findings(result.json(), "home")
    assert result.code == 0
    for sub in SUBDIRS:
        assert home[str(legion_home / sub)]["status"] == "fixed"
        assert "created" in home[str(legion_home / sub)]["fixed"]
        assert (legion_home / sub).is_dir() and mode(legion_home / sub) == 0o700

    home = findings(legion("doctor", "--json").json(), "home")
    assert list(home) == [None] and home[None]["status"] == "pass"


def test_missing_home_is_reported_not_created(
    legion: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "nowhere"
    monkeypatch.setenv("LEGION_HOME", str(home))
    monkeypatch.setenv("LEGION_SETTINGS_DIRS", str(home / "settings"))
    result = legion("doctor", "--json")
    assert findings(result.json(), "home")[str(home)]["status"] == "warn"
    assert not home.exists()
    assert legion("doctor", "--fix", "--json").code == 0
    assert mode(home) == 0o700 and mode(home / "settings") == 0o700


def test_world_readable_key_file_fails_and_fix_tightens_it(
    legion: CliRunner, legion_home: Path
) -> None:
    keys = legion_home / "keys"
    keys.mkdir(mode=0o700)
    key = keys / "node.key"
    key.write_text("private key material")
    key.chmod(0o644)
    result = legion("doctor", "--json")
    finding = findings(result.json(), "home")[str(key)]
    assert result.code == 1
    assert finding["status"] == "fail" and "0644" in finding["reason"]
    assert finding["fix"] == f"chmod 600 {key}"

    result = legion("doctor", "--fix", "--json")
    finding = findings(result.json(), "home")[str(key)]
    assert result.code == 0 and finding["status"] == "fixed"
    assert mode(key) == 0o600
    assert key.read_text() == "private key material"  # tightened, never rewritten


def test_open_private_directory_is_tightened(legion: CliRunner, legion_home: Path) -> None:
    keys = legion_home / "keys"
    keys.mkdir()
    keys.chmod(0o755)
    result = legion("doctor", "--json")
    assert result.code == 1
    assert findings(result.json(), "home")[str(keys)]["status"] == "fail"
    assert legion("doctor", "--fix", "--json").code == 0
    assert mode(keys) == 0o700


def test_world_writable_settings_file_is_reported_and_fixed(
    legion: CliRunner, legion_home: Path
) -> None:
    path = legion_home / "settings" / "api.toml"
    path.write_text("[api]\nport = 4600\n")
    path.chmod(0o666)
    result = legion("doctor", "--json")
    assert result.code == 1
    assert findings(result.json(), "home")[str(path)]["status"] == "fail"
    assert legion("doctor", "--fix", "--json").code == 0
    assert mode(path) == 0o664


def test_stale_daemon_files_are_removed_by_fix(legion: CliRunner, legion_home: Path) -> None:
    run = legion_home / "run"
    run.mkdir(mode=0o700)
    meta, token = run / "daemon.json", run / "daemon.token"
    pid = dead_pid()
    meta.write_text(json.dumps({"pid": pid, "socket": str(run / "legion.sock")}))
    token.write_text("t0ken")
    meta.chmod(0o600)
    token.chmod(0o600)

    result = legion("doctor", "--json")
    daemon = by_name(result.json())["daemon"]
    assert result.code == 1
    assert daemon["status"] == "fail" and f"pid {pid}" in daemon["reason"]
    assert meta.exists() and token.exists()  # nothing removed without --fix

    result = legion("doctor", "--fix", "--json")
    daemon = by_name(result.json())["daemon"]
    assert result.code == 0 and daemon["status"] == "fixed"
    assert str(meta) in daemon["fixed"]
    assert not meta.exists() and not token.exists()


def test_live_daemon_files_are_left_alone(legion: CliRunner, legion_home: Path) -> None:
    run = legion_home / "run"
    run.mkdir(mode=0o700)
    sock = run / "legion.sock"
    sock.touch()
    meta = run / "daemon.json"
    meta.write_text(json.dumps({"pid": os.getpid(), "socket": str(sock)}))
    meta.chmod(0o600)
    result = legion("doctor", "--fix", "--json")
    daemon = by_name(result.json())["daemon"]
    assert daemon["status"] == "pass" and str(os.getpid()) in daemon["reason"]
    assert meta.exists() and sock.exists()


def test_broken_settings_file_is_named_and_exits_1(legion: CliRunner, legion_home: Path) -> None:
    bad = legion_home / "settings" / "broken.toml"
    bad.write_text("[api\nport = 1\n")
    result = legion("doctor", "--json")
    rows = result.json()
    settings = findings(rows, "settings")[str(bad)]
    assert result.code == 1
    assert settings["status"] == "fail" and str(bad) in settings["reason"]
    assert settings["fix"]
    assert by_name(rows)["database"]["status"] == "skip"
    assert by_name(rows)["daemon"]["status"] == "pass"  # local checks still run


def test_invalid_key_is_named_with_its_file(legion: CliRunner, legion_home: Path) -> None:
    path = legion_home / "settings" / "typo.json"
    path.write_text(json.dumps({"api": {"prot": 5}}))
    result = legion("--no-color", "doctor")
    assert result.code == 1
    assert "api.prot" in result.out and str(path) in result.out
    assert "Traceback" not in result.out + result.err


def test_yaml_settings_file_is_flagged_as_ignored(legion: CliRunner, legion_home: Path) -> None:
    path = legion_home / "settings" / "legion.yaml"
    path.write_text("api:\n  port: 1\n")
    finding = findings(legion("doctor", "--json").json(), "settings")[str(path)]
    assert finding["status"] == "warn" and "ignored" in finding["reason"]


def test_a_failed_extension_is_reported_with_its_error(
    legion: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    from legion.core.extensions import discovery

    installed = discovery.installed_entry_points()
    broken = EntryPoint(
        name="brokenext", value="legion_no_such_module_xyz:extension", group=discovery.GROUP
    )
    monkeypatch.setattr(discovery, "installed_entry_points", lambda: (*installed, broken))
    result = legion("doctor", "--json")
    finding = findings(result.json(), "extensions")["brokenext"]
    assert result.code == 1
    assert finding["status"] == "fail"
    assert "ModuleNotFoundError" in finding["reason"]
    assert "LEGION_DISABLED_EXTENSIONS=brokenext" in finding["fix"]


def test_fix_migrates_sqlite(legion: CliRunner, legion_home: Path) -> None:
    database = by_name(legion("doctor", "--json").json())["database"]
    assert database["status"] == "warn" and not (legion_home / "legion.db").exists()
    result = legion("doctor", "--fix", "--json")
    database = by_name(result.json())["database"]
    assert database["status"] == "fixed" and "to 0003" in database["fixed"]
    database = by_name(legion("doctor", "--json").json())["database"]
    assert database["status"] == "pass"


def test_fix_does_not_migrate_a_postgres_schema_behind(
    legion: CliRunner, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database with data is upgraded by hand after a backup; doctor only says so."""
    from sqlalchemy import create_engine, text

    from legion.app.health import database

    engine = create_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
        conn.execute(text("INSERT INTO alembic_version VALUES ('0000')"))
    monkeypatch.setattr(database, "known_revision", lambda revision: True)
    monkeypatch.setenv("LEGION_DATA__URL", pg_url)
    result = legion("doctor", "--fix", "--json")
    found = by_name(result.json())["database"]
    assert result.code == 1
    assert found["status"] == "fail" and "back the database up" in found["fix"]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0000"
    engine.dispose()


def test_fix_creates_an_empty_postgres_schema(
    legion: CliRunner, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEGION_DATA__URL", pg_url)
    result = legion("doctor", "--fix", "--json")
    found = by_name(result.json())["database"]
    assert found["status"] == "fixed" and "(empty) to 0003" in found["fixed"]
    assert by_name(legion("doctor", "--json").json())["database"]["status"] == "pass"


def test_an_unknown_schema_revision_fails(
    legion: CliRunner, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
        conn.execute(text("INSERT INTO alembic_version VALUES ('9999')"))
    engine.dispose()
    monkeypatch.setenv("LEGION_DATA__URL", pg_url)
    found = by_name(legion("doctor", "--json").json())["database"]
    assert found["status"] == "fail" and "unknown to this Legion" in found["reason"]


def test_doctor_includes_every_check_and_json_shape(legion: CliRunner) -> None:
    rows = legion("doctor", "--json").json()
    names = {r["name"] for r in rows}
    expected = {"python", "settings", "home", "daemon", "extensions", "database", "cache"}
    assert expected | {"broker", "vault", "spool"} <= names
    for row in rows:
        assert row["status"] in STATUSES
        assert isinstance(row["reason"], str) and row["reason"]
        assert isinstance(row["details"], dict)


def test_doctor_is_also_a_legionio_command(legionio: CliRunner) -> None:
    assert by_name(legionio("doctor", "--json").json())["python"]["status"] == "pass"


def test_python_older_than_311_fails() -> None:
    assert python.check((3, 10, 12)).status == "fail"
    assert python.check((3, 11, 0)).status == "pass"


def test_human_output_lists_fixes_and_what_fix_would_repair(legion: CliRunner) -> None:
    result = legion("--no-color", "doctor")
    assert result.code == 0
    assert "to fix home:" in result.out and "mkdir -m 700 -p" in result.out
    assert "`legion doctor --fix` repairs" in result.out
    result = legion("--no-color", "doctor", "--fix")
    assert "fixed home:" in result.out and "created" in result.out
    assert "`legion doctor --fix` repairs" not in result.out
