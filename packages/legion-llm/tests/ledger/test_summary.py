"""Totals read back from what the writer wrote: per key, model, day and provider."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from legion.llm.canonical import Usage
from legion.llm.deployment import Deployment
from legion.llm.ledger.record import LedgerRecord, usage_cost
from legion.llm.ledger.summary import LedgerNotFound, spend_by_key, summary
from legion.llm.ledger.writer import LedgerWriter

DAY1 = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
DAY2 = datetime(2025, 3, 2, 23, 30, tzinfo=UTC)


def rec(request_id: str, **fields: Any) -> LedgerRecord:
    fields.setdefault("recorded_at", DAY1)
    return LedgerRecord(request_id=request_id, **fields)


def sample() -> list[LedgerRecord]:
    """Three requests: alice on `fast` twice (one failed over from openai to anthropic, one with
    unknown cost), bob on `smart` once (an error), on two days."""
    return [
        rec("a1", caller="alice", model_name="fast", provider="anthropic", input_tokens=100,
            output_tokens=10, cost_usd=0.30, latency_ms=100.0, failovers=1),
        rec("a1", attempt=1, kind="attempt", caller="alice", model_name="fast",
            provider="openai", input_tokens=100, output_tokens=4, cost_usd=0.10,
            latency_ms=40.0, status="failover", error_kind="upstream"),
        rec("a1", attempt=2, kind="attempt", caller="alice", model_name="fast",
            provider="anthropic", input_tokens=100, output_tokens=6, cost_usd=0.20,
            latency_ms=60.0),
        rec("a2", caller="alice", model_name="fast", provider="local", input_tokens=50,
            output_tokens=5, cost_usd=None, latency_ms=300.0, recorded_at=DAY2),
        rec("a2", attempt=1, kind="attempt", caller="alice", model_name="fast",
            provider="local", input_tokens=50, output_tokens=5, cost_usd=None,
            latency_ms=300.0, recorded_at=DAY2),
        rec("b1", caller="bob", model_name="smart", provider="openai", cost_usd=0.0,
            latency_ms=20.0, status="error", error_kind="timeout", recorded_at=DAY2),
        rec("b1", attempt=1, kind="attempt", caller="bob", model_name="smart",
            provider="openai", cost_usd=0.0, latency_ms=20.0, status="error",
            error_kind="timeout", recorded_at=DAY2),
    ]  # fmt: skip


@pytest.fixture
def ledger_url(sqlite_url: str) -> str:
    writer = LedgerWriter(sqlite_url)
    writer.start()
    for record in sample():
        assert writer.submit(record)
    writer.stop(timeout=10.0)
    assert writer.stats()["written"] == 7
    return sqlite_url


def by_name(rows: list[dict[str, Any]], by: str) -> dict[Any, dict[str, Any]]:
    return {row[by]: row for row in rows}


def rounded(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows with floats rounded: the two databases sum in different orders."""
    return [{k: round(v, 9) if isinstance(v, float) else v for k, v in r.items()} for r in rows]


def test_by_key(ledger_url: str) -> None:
    rows = by_name(summary(ledger_url, "key"), "key")
    assert set(rows) == {"alice", "bob"}
    alice = rows["alice"]
    assert alice["requests"] == 2
    assert alice["attempts"] == 3
    assert alice["errors"] == 0
    assert alice["input_tokens"] == 150
    assert alice["output_tokens"] == 15
    assert alice["cost_usd"] == pytest.approx(0.30)
    assert alice["unknown_cost_requests"] == 1
    assert alice["p50_latency_ms"] == pytest.approx(200.0)
    assert rows["bob"]["errors"] == 1
    assert rows["bob"]["unknown_cost_requests"] == 0


def test_by_model_sorts_by_cost(ledger_url: str) -> None:
    rows = summary(ledger_url, "model")
    assert [row["model"] for row in rows] == ["fast", "smart"]
    assert rows[0]["cost_usd"] == pytest.approx(0.30)


def test_by_day_is_utc_and_in_order(ledger_url: str) -> None:
    rows = summary(ledger_url, "day")
    assert [(r["day"], r["requests"], r["attempts"]) for r in rows] == [
        ("2025-03-01", 1, 2),
        ("2025-03-02", 2, 2),
    ]


def test_by_provider_counts_each_attempt_where_it_ran(ledger_url: str) -> None:
    rows = by_name(summary(ledger_url, "provider"), "provider")
    assert set(rows) == {"openai", "anthropic", "local"}
    # The failed-over attempt cost money at openai, and counts as a failure there.
    assert rows["openai"]["cost_usd"] == pytest.approx(0.10)
    assert rows["openai"]["requests"] == 2
    assert rows["openai"]["errors"] == 2
    assert rows["anthropic"]["cost_usd"] == pytest.approx(0.20)
    assert rows["anthropic"]["errors"] == 0
    assert rows["local"]["unknown_cost_requests"] == 1


def test_since_filters_older_requests(ledger_url: str) -> None:
    rows = by_name(summary(ledger_url, "key", since=DAY2 - timedelta(hours=1)), "key")
    assert rows["alice"]["requests"] == 1
    assert rows["alice"]["cost_usd"] == 0.0
    assert rows["alice"]["unknown_cost_requests"] == 1
    # A naive `since` is read as UTC.
    naive = summary(ledger_url, "key", since=datetime(2025, 3, 3))
    assert naive == []


def test_spend_by_key_sums_known_costs(ledger_url: str) -> None:
    assert spend_by_key(ledger_url) == pytest.approx({"alice": 0.30, "bob": 0.0})


def test_missing_ledger_is_reported_not_created(sqlite_url: str, tmp_path: Any) -> None:
    with pytest.raises(LedgerNotFound, match="no ledger at"):
        summary(sqlite_url, "key")
    assert not any(tmp_path.rglob("*.db"))
    assert spend_by_key(sqlite_url) == {}


def test_unknown_grouping_is_refused(ledger_url: str) -> None:
    with pytest.raises(ValueError, match="cannot group by 'team'"):
        summary(ledger_url, "team")  # type: ignore[arg-type]


def test_postgres_summary_matches_sqlite(pg_schema: tuple[str, str], ledger_url: str) -> None:
    url, schema = pg_schema
    writer = LedgerWriter(url, schema=schema)
    writer.start()
    for record in sample():
        writer.submit(record)
    writer.stop(timeout=10.0)
    assert writer.stats()["written"] == 7
    for by in ("key", "model", "day", "provider"):
        assert rounded(summary(url, by, schema=schema)) == rounded(summary(ledger_url, by)), by
    assert spend_by_key(url, schema=schema) == pytest.approx({"alice": 0.30, "bob": 0.0})


def test_usage_is_priced_per_token() -> None:
    priced = Deployment(
        id="d", model_name="fast", provider="openai", model="gpt",
        input_cost_per_token=1e-6, output_cost_per_token=4e-6,
    )  # fmt: skip
    assert usage_cost(priced, Usage(input_tokens=1000, output_tokens=500)) == pytest.approx(0.003)
    unpriced = Deployment(id="d", model_name="fast", provider="openai", model="gpt")
    assert usage_cost(unpriced, Usage(input_tokens=1000)) is None
    # Nothing used costs nothing, priced or not.
    assert usage_cost(unpriced, Usage()) == 0.0


def test_record_row_is_naive_utc_and_takes_usage() -> None:
    deployment = Deployment(id="d1", model_name="fast", provider="anthropic", model="claude",
                            tier="frontier")  # fmt: skip
    record = LedgerRecord(
        request_id="r", model_name="fast",
        recorded_at=datetime(2025, 3, 1, 12, 0, tzinfo=UTC) + timedelta(hours=0),
    )  # fmt: skip
    record.set_deployment(deployment)
    record.add_usage(Usage(input_tokens=3, output_tokens=2, thinking_tokens=1))
    record.add_usage(Usage(input_tokens=1))
    row = record.as_row()
    assert row["recorded_at"] == datetime(2025, 3, 1, 12, 0)
    assert (row["input_tokens"], row["output_tokens"], row["thinking_tokens"]) == (4, 2, 1)
    assert (row["provider"], row["model"], row["tier"], row["deployment_id"]) == (
        "anthropic", "claude", "frontier", "d1",
    )  # fmt: skip
    assert len(row["record_id"]) == 32
