"""`cost summary`: a table for people, JSON for machines, one clear line when something is off."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest
from click.testing import CliRunner

from legion.llm.ledger.commands import cost, parse_since
from legion.llm.ledger.record import LedgerRecord
from legion.llm.ledger.writer import LedgerWriter


@pytest.fixture
def ledger_url(sqlite_url: str) -> str:
    writer = LedgerWriter(sqlite_url)
    writer.start()
    now = datetime.now(UTC)
    for i, caller in enumerate(["alice", "alice", "bob"]):
        writer.submit(
            LedgerRecord(
                request_id=f"r{i}", caller=caller, model_name="fast", provider="openai",
                input_tokens=1000, output_tokens=100, cost_usd=0.25, latency_ms=50.0,
                recorded_at=now,
            )
        )  # fmt: skip
    writer.stop(timeout=10.0)
    assert writer.stats()["written"] == 3
    return sqlite_url


def run(*args: str) -> Any:
    return CliRunner().invoke(cost, list(args))


def test_table_for_people(ledger_url: str) -> None:
    result = run("summary", "--by", "key", "--db", ledger_url)
    assert result.exit_code == 0, result.output
    assert "alice" in result.output
    assert "bob" in result.output
    assert "0.5000" in result.output  # alice: two requests at $0.25


def test_plain_table_without_rich(ledger_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "rich.console", None)
    result = run("summary", "--by", "key", "--db", ledger_url)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "Cost by key"
    assert lines[1].split() == ["key", "requests", "attempts", "errors", "in", "tok", "out", "tok",
                                "cost", "$", "unpriced", "p50", "ms"]  # fmt: skip
    assert lines[2].split() == ["alice", "2", "0", "0", "2,000", "200", "0.5000", "0", "50"]


def test_json_for_machines(ledger_url: str) -> None:
    result = run("summary", "--by", "key", "--since", "7d", "--db", ledger_url, "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["by"] == "key"
    assert payload["since"] is not None
    rows = {row["key"]: row for row in payload["rows"]}
    assert rows["alice"]["requests"] == 2
    assert rows["alice"]["cost_usd"] == pytest.approx(0.5)
    assert rows["bob"]["input_tokens"] == 1000


def test_since_in_the_future_is_empty(ledger_url: str) -> None:
    result = run("summary", "--db", ledger_url, "--since", "2999-01-01", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["rows"] == []
    table = run("summary", "--db", ledger_url, "--since", "2999-01-01")
    assert "No requests in the ledger since then." in table.output


def test_missing_ledger_is_one_line_and_exit_2(sqlite_url: str) -> None:
    result = run("summary", "--db", sqlite_url)
    assert result.exit_code == 2
    assert result.output.count("\n") == 1
    assert "no ledger at" in result.output
    assert "start the gateway first or pass --db" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "no ledger given"),
        (("--db", "sqlite:///x.db", "--config", "gw.yaml"), "either --db or --config"),
        (("--db", "sqlite:///x.db", "--since", "last tuesday"), "--since 'last tuesday'"),
        (("--db", "nosuchdb://x"), "cannot open ledger"),
    ],
)
def test_bad_input_exits_2(args: tuple[str, ...], message: str) -> None:
    result = run("summary", *args)
    assert result.exit_code == 2
    assert message in result.output
    assert result.output.count("\n") == 1


@pytest.fixture
def config_module(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """A stand-in for `legion.llm.config`, so these tests do not depend on the real loader."""
    module = ModuleType("legion.llm.config")
    monkeypatch.setitem(sys.modules, "legion.llm.config", module)
    return module


def test_config_names_the_ledger(ledger_url: str, config_module: ModuleType) -> None:
    seen: list[str] = []

    def load_config(path: str) -> Any:
        seen.append(path)
        return SimpleNamespace(ledger=SimpleNamespace(url=ledger_url))

    config_module.load_config = load_config  # type: ignore[attr-defined]
    result = run("summary", "--config", "gateway.yaml", "--json")
    assert result.exit_code == 0, result.output
    assert seen == ["gateway.yaml"]
    assert len(json.loads(result.output)["rows"]) == 1


def test_unreadable_config_exits_2(config_module: ModuleType) -> None:
    def load_config(path: str) -> Any:
        raise FileNotFoundError(f"no such file: {path}")

    config_module.load_config = load_config  # type: ignore[attr-defined]
    result = run("summary", "--config", "missing.yaml")
    assert result.exit_code == 2
    assert "cannot read config missing.yaml: no such file" in result.output


def test_config_without_a_ledger_url_exits_2(config_module: ModuleType) -> None:
    def load_config(path: str) -> Any:
        return SimpleNamespace(ledger=SimpleNamespace(url=None))

    config_module.load_config = load_config  # type: ignore[attr-defined]
    result = run("summary", "--config", "gateway.yaml")
    assert result.exit_code == 2
    assert "names no ledger (ledger.url)" in result.output


def test_config_without_a_loader_points_at_db(config_module: ModuleType) -> None:
    result = run("summary", "--config", "gateway.yaml")
    assert result.exit_code == 2
    assert "pass the ledger with --db URL" in result.output


def test_parse_since() -> None:
    now = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
    assert parse_since("7d", now) == datetime(2025, 3, 3, 12, 0, tzinfo=UTC)
    assert parse_since("12h", now) == datetime(2025, 3, 10, 0, 0, tzinfo=UTC)
    assert parse_since("2w", now) == datetime(2025, 2, 24, 12, 0, tzinfo=UTC)
    assert parse_since("2025-03-01") == datetime(2025, 3, 1, tzinfo=UTC)
    with pytest.raises(ValueError, match="neither a span"):
        parse_since("yesterday")
