"""Read the ledger back: totals per key, model, day or provider, and spend per key for budgets.

Requests, tokens and cost come from request rows (which carry each request's totals), except by
provider, where a failed-over request touched several providers and attempt rows are summed.
"""

from __future__ import annotations

import itertools
import statistics
from datetime import UTC, date, datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, Connection, Engine, case, func, inspect, select
from sqlalchemy.exc import SQLAlchemyError

from legion.llm.ledger.schema import TABLE_NAME, ledger, ledger_url, open_engine, safe_url
from legion.llm.ledger.schema import sqlite_path as sqlite_file

GroupBy = Literal["key", "model", "day", "provider"]
GROUPINGS: tuple[GroupBy, ...] = ("key", "model", "day", "provider")


class LedgerNotFound(Exception):
    """There is no ledger at the URL (no SQLite file, or no table): nothing was ever written."""


class LedgerUnavailable(Exception):
    """The ledger database did not answer."""


def summary(
    url: str,
    by: GroupBy = "model",
    since: datetime | None = None,
    *,
    schema: str | None = None,
) -> list[dict[str, Any]]:
    """One dict per group: requests, attempts, errors, tokens, known cost, how many requests
    have no known cost, and the median request latency."""
    if by not in GROUPINGS:
        raise ValueError(f"cannot group by {by!r}; use one of {', '.join(GROUPINGS)}")
    engine = _open_existing(url, schema)
    try:
        with engine.connect() as conn:
            rows = (
                _provider_rows(conn, since) if by == "provider" else _request_rows(conn, by, since)
            )
    except SQLAlchemyError as exc:
        raise LedgerUnavailable(_reason(url, exc)) from exc
    finally:
        engine.dispose()
    for row in rows:
        row[by] = _plain(row[by])
    if by == "day":
        rows.sort(key=lambda r: str(r["day"]))
    else:
        rows.sort(key=lambda r: (-r["cost_usd"], -r["requests"], str(r[by])))
    return rows


def spend_by_key(
    url: str, *, since: datetime | None = None, schema: str | None = None
) -> dict[str, float]:
    """Known cost per caller, to start budgets where the last run left them; {} before the
    first request was ever written. Raises LedgerUnavailable when the database does not answer."""
    try:
        engine = _open_existing(url, schema)
    except LedgerNotFound:
        return {}
    cost = func.coalesce(func.sum(ledger.c.cost_usd), 0.0)
    query = (
        select(ledger.c.caller, cost).where(*_filters("request", since)).group_by(ledger.c.caller)
    )
    try:
        with engine.connect() as conn:
            return {str(caller): float(total) for caller, total in conn.execute(query)}
    except SQLAlchemyError as exc:
        raise LedgerUnavailable(_reason(url, exc)) from exc
    finally:
        engine.dispose()


# --- queries ------------------------------------------------------------------------------------


def _group_column(by: GroupBy) -> ColumnElement[Any]:
    if by == "key":
        return ledger.c.caller
    if by == "model":
        return ledger.c.model_name
    if by == "day":
        return func.date(ledger.c.recorded_at)
    return ledger.c.provider


def _filters(kind: str, since: datetime | None) -> list[ColumnElement[bool]]:
    filters = [ledger.c.kind == kind]
    if since is not None:
        if since.tzinfo is not None:
            since = since.astimezone(UTC).replace(tzinfo=None)
        filters.append(ledger.c.recorded_at >= since)
    return filters


def _totals(group: ColumnElement[Any], failed: ColumnElement[bool]) -> list[ColumnElement[Any]]:
    c = ledger.c
    return [
        group.label("grp"),
        func.coalesce(func.sum(c.input_tokens), 0).label("input_tokens"),
        func.coalesce(func.sum(c.output_tokens), 0).label("output_tokens"),
        func.coalesce(func.sum(c.cost_usd), 0.0).label("cost_usd"),
        func.sum(case((c.cost_usd.is_(None), 1), else_=0)).label("unknown_cost"),
        func.sum(case((failed, 1), else_=0)).label("errors"),
    ]


def _request_rows(conn: Connection, by: GroupBy, since: datetime | None) -> list[dict[str, Any]]:
    group = _group_column(by)
    failed = ledger.c.status == "error"
    requests = select(*_totals(group, failed), func.count().label("n")).where(
        *_filters("request", since)
    )
    attempts = select(group.label("grp"), func.count()).where(*_filters("attempt", since))
    attempt_counts: dict[Any, int] = {g: int(n) for g, n in conn.execute(attempts.group_by(group))}
    medians = _medians(conn, group, "request", since)
    rows = []
    for r in conn.execute(requests.group_by(group)).mappings():
        rows.append(_row(by, r, r["n"], attempt_counts.get(r["grp"], 0), medians.get(r["grp"])))
    return rows


def _provider_rows(conn: Connection, since: datetime | None) -> list[dict[str, Any]]:
    group = ledger.c.provider
    # An attempt abandoned for another candidate failed too, even if the request succeeded.
    query = select(
        *_totals(group, ledger.c.status != "ok"),
        func.count(ledger.c.request_id.distinct()).label("requests"),
        func.count().label("n"),
    ).where(*_filters("attempt", since))
    medians = _medians(conn, group, "attempt", since)
    return [
        _row("provider", r, r["requests"], r["n"], medians.get(r["grp"]))
        for r in conn.execute(query.group_by(group)).mappings()
    ]


def _row(by: GroupBy, r: Any, requests: int, attempts: int, p50: float | None) -> dict[str, Any]:
    return {
        by: r["grp"],
        "requests": int(requests),
        "attempts": int(attempts),
        "errors": int(r["errors"] or 0),
        "input_tokens": int(r["input_tokens"]),
        "output_tokens": int(r["output_tokens"]),
        "cost_usd": float(r["cost_usd"]),
        "unknown_cost_requests": int(r["unknown_cost"] or 0),
        "p50_latency_ms": p50,
    }


def _medians(
    conn: Connection, group: ColumnElement[Any], kind: str, since: datetime | None
) -> dict[Any, float]:
    """Median latency per group: percentile_cont on PostgreSQL, one ordered pass elsewhere."""
    where = _filters(kind, since)
    if conn.dialect.name == "postgresql":
        p50 = func.percentile_cont(0.5).within_group(ledger.c.latency_ms)
        query = select(group, p50).where(*where).group_by(group)
        return {g: float(v) for g, v in conn.execute(query) if v is not None}
    ordered = select(group, ledger.c.latency_ms).where(*where).order_by(group, ledger.c.latency_ms)
    result = conn.execute(ordered.execution_options(yield_per=5000))
    return {
        g: float(statistics.median(latency for _, latency in rows))
        for g, rows in itertools.groupby(result, key=lambda row: row[0])
    }


# --- opening ------------------------------------------------------------------------------------


def _open_existing(url: str, schema: str | None) -> Engine:
    """An engine on a ledger that exists; never creates a SQLite file as a side effect."""
    path = sqlite_file(ledger_url(url))
    if path is not None and not path.is_file():
        raise LedgerNotFound(f"no ledger at {path}")
    engine = open_engine(url, schema=schema)
    try:
        with engine.connect() as conn:
            present = inspect(conn).has_table(TABLE_NAME, schema=schema)
    except SQLAlchemyError as exc:
        engine.dispose()
        raise LedgerUnavailable(_reason(url, exc)) from exc
    if not present:
        engine.dispose()
        raise LedgerNotFound(f"no ledger at {safe_url(url)} (no {TABLE_NAME} table)")
    return engine


def _reason(url: str, exc: SQLAlchemyError) -> str:
    detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return (
        f"cannot read the ledger at {safe_url(url)}: {detail[0] if detail else type(exc).__name__}"
    )


def _plain(value: Any) -> Any:
    """Group values as JSON-friendly scalars (a day is 'YYYY-MM-DD' on every database)."""
    if isinstance(value, datetime | date):
        return value.isoformat()[:10]
    return value
