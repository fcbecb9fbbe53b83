"""Schedules (lex-scheduler's cron and interval runs), over the `schedule.*` operations."""

from __future__ import annotations

from typing import Any

from litestar import delete, get, patch, post
from litestar.params import JSONBody

from legion.app.api.deps import Ops
from legion.app.api.dto import ScheduleCreate, ScheduleUpdate, fields_of
from legion.app.api.envelope import ok
from legion.app.api.pagination import DEFAULT_LIMIT, Limit, Offset, paginate
from legion.app.api.params import NamePath
from legion.app.api.responses import BODY_ERRORS, linked, links_to, one, page

SCHEDULE = "/api/v1/schedules/{name}"
ScheduleCreated = linked(
    links_to(
        SCHEDULE,
        {"UpdateSchedule": "patch", "DeleteSchedule": "delete"},
        "name",
        "$response.body#/data/name",
    ),
    201,
)


@get("/schedules", opt={"rbac": ("schedules/", "list")}, sync_to_thread=True, responses=page())
def list_schedules(ops: Ops, limit: Limit = DEFAULT_LIMIT, offset: Offset = 0) -> dict[str, Any]:
    page, meta = paginate(list(ops.op_schedule_list()), limit, offset)
    return ok(page, **meta)


@post(
    "/schedules",
    opt={"rbac": ("schedules/", "create")},
    sync_to_thread=True,
    status_code=201,
    responses=one(409, *BODY_ERRORS, status=201, description="the schedule created"),
    operation_class=ScheduleCreated,
)
def create_schedule(ops: Ops, data: JSONBody[ScheduleCreate]) -> dict[str, Any]:
    """Add a schedule: `cron` or `every` (seconds), never both."""
    return ok(ops.op_schedule_create(**fields_of(data)))


@patch(
    "/schedules/{name:str}",
    opt={"rbac": ("schedules/{name}", "update")},
    sync_to_thread=True,
    responses=one(*BODY_ERRORS),
)
def update_schedule(ops: Ops, name: NamePath, data: JSONBody[ScheduleUpdate]) -> dict[str, Any]:
    """Change a schedule's fields; the old one stays when the new one is invalid."""
    return ok(ops.op_schedule_update(name, **fields_of(data)))


@delete(
    "/schedules/{name:str}",
    opt={"rbac": ("schedules/{name}", "delete")},
    sync_to_thread=True,
    status_code=200,
    responses=one(),
)
def delete_schedule(ops: Ops, name: NamePath) -> dict[str, Any]:
    return ok(ops.op_schedule_delete(name))


HANDLERS = [list_schedules, create_schedule, update_schedule, delete_schedule]
