"""Schedules in the `schedules` table: validated on the way in, claimed atomically on the way out.

Everything a schedule carries is checked when it is added (function, timing, arguments,
transformation), so a bad schedule is rejected up front instead of failing at every run.
"""

from __future__ import annotations

import builtins
import json
import time
from datetime import UTC, datetime, tzinfo
from typing import Any

from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from legion.core.errors import ConflictError, NotFoundError, UsageError
from legion.core.registry import CapabilityRegistry
from legion.core.store.models import ScheduleRow
from legion.extensions.scheduler.timing import check_cron, first_run

NAME_MAX = 100


def as_dict(row: ScheduleRow) -> dict[str, Any]:
    """A schedule as JSON, as the runners return it and transformations see it."""
    return {
        "name": row.name,
        "function": row.function,
        "cron": row.cron,
        "interval": row.interval,
        "args": row.args,
        "payload": row.payload,
        "transformation": row.transformation,
        "engine": row.engine,
        "active": row.active,
        "last_run": row.last_run,
        "next_run": row.next_run,
        "created_at": row.created_at,
    }


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat()


def render_context(schedule: dict[str, Any], now: float) -> dict[str, Any]:
    """What a schedule's transformation renders against."""
    return {"schedule": schedule, "payload": schedule.get("payload") or {}, "now": iso(now)}


class ScheduleStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create(
        self,
        registry: CapabilityRegistry,
        *,
        name: str,
        function: str,
        cron: str | None = None,
        interval: float | None = None,
        args: dict[str, Any] | None = None,
        payload: dict[str, Any] | None = None,
        transformation: str | None = None,
        engine: str = "jinja",
        tz: tzinfo = UTC,
        now: float | None = None,
    ) -> ScheduleRow:
        now = time.time() if now is None else now
        row = ScheduleRow(
            name=name,
            function=function,
            cron=cron,
            interval=interval,
            args=args or None,
            payload=payload,
            transformation=transformation or None,
            engine=engine,
            created_at=now,
        )
        validate_schedule(registry, row, now)
        row.next_run = first_run(cron, interval, now, tz)
        with Session(self.engine) as s:
            if s.get(ScheduleRow, name) is not None:
                raise ConflictError(
                    f"schedule {name!r} already exists",
                    hint="remove it first: scheduler.schedule.remove",
                )
            s.add(row)
            s.commit()
            s.refresh(row)
        return row

    def list(self) -> builtins.list[ScheduleRow]:
        with Session(self.engine) as s:
            return builtins.list(s.exec(select(ScheduleRow).order_by(col(ScheduleRow.name))))

    def get(self, name: str) -> ScheduleRow:
        with Session(self.engine) as s:
            row = s.get(ScheduleRow, name)
        if row is None:
            raise NotFoundError(
                f"no schedule named {name!r}", hint="scheduler.schedule.list shows them"
            )
        return row

    def delete(self, name: str) -> None:
        with Session(self.engine) as s:
            row = s.get(ScheduleRow, name)
            if row is None:
                raise NotFoundError(f"no schedule named {name!r}")
            s.delete(row)
            s.commit()

    def due(self, now: float) -> builtins.list[ScheduleRow]:
        """Active schedules whose next run is at or before `now`, earliest first."""
        query = (
            select(ScheduleRow)
            .where(col(ScheduleRow.active).is_(True))
            .where(col(ScheduleRow.next_run) <= now)
            .order_by(col(ScheduleRow.next_run))
        )
        with Session(self.engine) as s:
            return builtins.list(s.exec(query))

    def claim(self, name: str, due: float, *, last_run: float, next_run: float) -> bool:
        """Move a schedule past `due` only if nobody else did: a run is dispatched once even
        if two schedulers ever tick at the same time."""
        stmt = (
            update(ScheduleRow)
            .where(col(ScheduleRow.name) == name)
            .where(col(ScheduleRow.next_run) == due)
            .values(last_run=last_run, next_run=next_run)
        )
        with self.engine.begin() as conn:
            return bool(conn.execute(stmt).rowcount == 1)


def validate_schedule(registry: CapabilityRegistry, row: ScheduleRow, now: float) -> None:
    """Reject unknown functions, ambiguous or bad timing, invalid arguments, bad templates."""
    from legion.core.transformations import compile_transformation, transform_and_validate

    if not row.name or len(row.name) > NAME_MAX:
        raise UsageError(f"a schedule name must be 1 to {NAME_MAX} characters")
    cap = registry.get(row.function)
    if (row.cron is None) == (row.interval is None):
        raise UsageError(
            f"schedule {row.name!r} needs exactly one of cron or every (seconds)",
            hint="e.g. cron='*/5 * * * *' or every=300",
        )
    if row.cron is not None:
        check_cron(row.cron)
    if row.interval is not None and not row.interval > 0:
        raise UsageError(f"schedule {row.name!r}: every must be > 0 seconds, got {row.interval}")
    if row.payload is not None and not isinstance(row.payload, dict):
        raise UsageError(f"schedule {row.name!r}: payload must be an object")
    try:
        json.dumps([row.args, row.payload])
    except (TypeError, ValueError) as exc:
        raise UsageError(f"schedule {row.name!r}: args and payload must be JSON: {exc}") from None
    if row.transformation is None:
        cap.validate(row.args or {})
        return
    # The arguments come from the template: compile it, and render it once now so a template
    # that cannot produce valid arguments is rejected here rather than at every run.
    compiled = compile_transformation(row.transformation, row.engine)
    transform_and_validate(compiled, render_context(as_dict(row), now), cap.validate)
