"""`legionio check`: each configured component answers, fails with a reason, or is skipped."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from legion.app.health.report import Finding
from legion.app.health.runner import run_concurrently

from .conftest import CliRunner, VaultStub, by_name

FIELDS = {"name", "subject", "status", "reason", "latency_ms", "fix", "fixed", "details"}
COMPONENTS = ["database", "cache", "broker", "vault", "spool"]


def test_lite_defaults_skip_what_is_not_configured_and_create_nothing(
    legionio: CliRunner, legion_home: Path
) -> None:
    result = legionio("check", "--json")
    rows = result.json()
    assert result.code == 0
    assert [r["name"] for r in rows] == COMPONENTS
    assert all(set(r) == FIELDS for r in rows)
    found = by_name(rows)
    assert found["cache"]["status"] == "skip" and "lite mode" in found["cache"]["reason"]
    assert found["broker"]["status"] == "skip"
    assert found["broker"]["reason"] == "lite mode: in-process broker"
    assert found["vault"]["status"] == "skip"
    assert found["database"]["status"] == "warn"
    assert "legionio db upgrade" in found["database"]["fix"]
    assert not (legion_home / "legion.db").exists()
    assert not (legion_home / "spool").exists()


def test_sqlite_after_upgrade_passes_with_latency(legionio: CliRunner) -> None:
    assert legionio("db", "upgrade", "--json").code == 0
    result = legionio("check", "--json")
    database = by_name(result.json())["database"]
    assert result.code == 0
    assert database["status"] == "pass"
    assert database["details"]["current"] == database["details"]["head"]
    assert database["latency_ms"] is not None and database["latency_ms"] >= 0


def test_human_output_has_a_row_per_component_and_a_summary(legionio: CliRunner) -> None:
    result = legionio("--no-color", "check")
    assert result.code == 0
    for name in COMPONENTS:
        assert name in result.out
    assert "skipped" in result.out and "\x1b[" not in result.out


def test_postgres_select_1_and_pending_schema(
    legionio: CliRunner, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEGION_DATA__URL", pg_url)
    database = by_name(legionio("check", "--json").json())["database"]
    assert database["status"] == "warn"
    assert database["details"]["backend"] == "postgresql"
    assert database["details"]["current"] is None
    assert "run `legionio db upgrade`" in database["fix"]

    assert legionio("db", "upgrade", "--json").code == 0
    result = legionio("check", "--json")
    database = by_name(result.json())["database"]
    assert result.code == 0 and database["status"] == "pass"
    assert "SELECT 1 ok" in database["reason"] and database["latency_ms"] is not None


def test_redis_ping_in_full_mode(
    legionio: CliRunner, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEGION_MODE", "full")
    monkeypatch.setenv("LEGION_CACHE__URL", redis_url)
    cache = by_name(legionio("check", "--json").json())["cache"]
    assert cache["status"] == "pass" and "PING ok" in cache["reason"]
    assert cache["latency_ms"] is not None


def test_cache_url_is_ignored_in_lite_mode(
    legionio: CliRunner, closed_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEGION_CACHE__URL", f"redis://127.0.0.1:{closed_port}/0")
    result = legionio("check", "--json")
    cache = by_name(result.json())["cache"]
    assert result.code == 0 and cache["status"] == "skip"
    assert "full mode only" in cache["reason"]


def test_dead_ports_fail_with_a_reason_and_exit_1(
    legionio: CliRunner, closed_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEGION_MODE", "full")
    monkeypatch.setenv("LEGION_CACHE__URL", f"redis://:s3cr3t-pw@127.0.0.1:{closed_port}/0")
    monkeypatch.setenv(
        "LEGION_DATA__URL", f"postgresql+psycopg://postgres@127.0.0.1:{closed_port}/test"
    )
    monkeypatch.setenv("LEGION_VAULT__ADDRESS", f"http://127.0.0.1:{closed_port}")
    result = legionio("check", "--json", "--timeout", "2")
    found = by_name(result.json())
    assert result.code == 1
    for name in ("database", "cache", "vault"):
        assert found[name]["status"] == "fail", found[name]
        assert found[name]["fix"]
    assert "refused" in found["database"]["reason"].lower()
    assert "refused" in found["cache"]["reason"].lower()
    assert "unreachable" in found["vault"]["reason"]
    assert "s3cr3t-pw" not in result.out


def test_a_silent_host_fails_within_the_timeout(
    legionio: CliRunner, silent_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEGION_MODE", "full")
    monkeypatch.setenv("LEGION_CACHE__URL", f"redis://127.0.0.1:{silent_port}/0")
    result = legionio("check", "--json", "--timeout", "0.5")
    cache = by_name(result.json())["cache"]
    assert result.code == 1
    assert cache["status"] == "fail"
    assert "timeout" in cache["reason"].lower() or "no answer within" in cache["reason"]


def test_a_check_that_never_returns_is_given_up_on() -> None:
    release = threading.Event()

    def stuck() -> Finding:
        release.wait()
        return Finding("stuck", "pass", "too late")

    try:
        findings = run_concurrently(
            [("stuck", stuck), ("quick", lambda: Finding("quick", "pass", "ok"))], 0.1
        )
    finally:
        release.set()
    assert [(f.name, f.status) for f in findings] == [("stuck", "fail"), ("quick", "pass")]
    assert findings[0].reason == "no answer within 0.1s"


def test_a_check_that_raises_is_reported_not_fatal() -> None:
    def broken() -> Finding:
        raise RuntimeError("boom")

    (finding,) = run_concurrently([("broken", broken)], 1)
    assert finding.status == "fail" and "RuntimeError: boom" in finding.reason


@pytest.mark.parametrize("value", ["0", "-1", "abc"])
def test_bad_timeout_exits_2_with_one_line(legionio: CliRunner, value: str) -> None:
    result = legionio("check", "--timeout", value)
    assert result.code == 2
    assert result.err.startswith("error: ") and "--timeout" in result.err
    assert "Traceback" not in result.err


def test_broken_settings_exit_2_naming_the_file(legionio: CliRunner, legion_home: Path) -> None:
    bad = legion_home / "settings" / "broken.toml"
    bad.write_text("[api\nport = 1\n")
    result = legionio("check")
    assert result.code == 2 and str(bad) in result.err and "Traceback" not in result.err


def test_vault_health_active_and_sealed(
    legionio: CliRunner, vault_stub: VaultStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEGION_VAULT__ADDRESS", vault_stub.address)
    vault_stub.body = {"initialized": True, "sealed": False, "version": "1.15.2"}
    result = legionio("check", "--json")
    vault = by_name(result.json())["vault"]
    assert result.code == 0 and vault["status"] == "pass"
    assert "1.15.2" in vault["reason"] and vault["details"]["http_status"] == 200
    assert vault_stub.paths[-1].startswith("/v1/sys/health")

    vault_stub.status, vault_stub.body = 503, {"sealed": True}
    result = legionio("check", "--json")
    vault = by_name(result.json())["vault"]
    assert result.code == 1 and vault["status"] == "fail"
    assert "sealed" in vault["reason"] and "unseal" in vault["fix"]


def test_vault_standby_passes(
    legionio: CliRunner, vault_stub: VaultStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEGION_VAULT__ADDRESS", vault_stub.address)
    vault_stub.status = 429
    vault = by_name(legionio("check", "--json").json())["vault"]
    assert vault["status"] == "pass" and "standby" in vault["reason"]


def test_spool_pending_records_are_reported_as_info(legionio: CliRunner, legion_home: Path) -> None:
    from legion.core.settings import load_settings
    from legion.core.spool import SpoolMessage, open_spool

    with open_spool(load_settings(), "transport") as spool:
        for i in range(3):
            spool.append(SpoolMessage("legion", "task", f"m{i}".encode()))
        spool.replay(lambda record: None, limit=1)
    result = legionio("check", "--json")
    found = by_name(result.json())["spool"]
    assert result.code == 0
    assert found["status"] == "info"
    assert found["details"]["pending"] == 2
    assert found["details"]["spools"]["transport"]["pending"] == 2
    assert found["details"]["oldest_age_s"] >= 0

    with open_spool(load_settings(), "transport") as spool:
        spool.replay(lambda record: None)
    found = by_name(legionio("check", "--json").json())["spool"]
    assert found["status"] == "pass" and found["details"]["pending"] == 0
