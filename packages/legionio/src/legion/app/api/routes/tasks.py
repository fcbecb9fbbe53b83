"""Tasks: list, run a function, show, cancel, logs — each a call into `Operations`."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Response, delete, get, post
from litestar.params import JSONBody, QueryParameter

from legion.app.api.deps import Ops
from legion.app.api.dto import TaskCreate
from legion.app.api.envelope import ok
from legion.app.api.pagination import DEFAULT_LIMIT, Limit, Offset, page_meta
from legion.app.api.params import TaskId
from legion.app.api.responses import (
    BODY_ERRORS,
    Envelope,
    linked,
    links_to,
    one,
    page,
    spec,
)
from legion.core.engine import task as st
from legion.core.errors import ConflictError, NotFoundError, UsageError

Status = Annotated[
    str | None,
    QueryParameter(
        description=f"one of: {', '.join(st.STATUSES)}",
        max_length=50,
        schema_extra={"enum": list(st.STATUSES)},
    ),
]
Function = Annotated[str | None, QueryParameter(description="function address", max_length=300)]

TASK = "/api/v1/tasks/{task_id}"
# What a client can do with the task it just started (also what the stateful test follows).
TASK_LINKS = {
    **links_to(
        TASK, {"ShowTask": "get", "CancelTask": "delete"}, "task_id", "$response.body#/data/task_id"
    ),
    **links_to(TASK + "/logs", {"TaskLogs": "get"}, "task_id", "$response.body#/data/task_id"),
}
TaskStarted = linked(TASK_LINKS, 200, 202)


@get("/tasks", opt={"rbac": ("tasks/", "list")}, sync_to_thread=True, responses=page())
def list_tasks(
    ops: Ops,
    status: Status = None,
    function: Function = None,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Tasks, newest first, filtered by status and function."""
    found = ops.op_task_list(status=status, function=function, limit=limit, offset=offset)
    rows = found["tasks"]
    return ok(rows, **page_meta(limit, offset, found["total"], len(rows)))


def finished(view: dict[str, Any]) -> bool:
    return view.get("status") in st.FINAL


def run_response(view: dict[str, Any], waited: bool) -> Response[dict[str, Any]]:
    """200 with the outcome when the caller waited and the task finished; 202 otherwise."""
    return Response(ok(view), status_code=200 if waited and finished(view) else 202)


ACCEPTED_OR_DONE = {
    **one(*BODY_ERRORS, status=202, description="the task was queued: its id and status"),
    200: spec(Envelope, "waited: the finished task with its result"),
}


@post(
    "/tasks",
    opt={"rbac": ("tasks/", "create")},
    sync_to_thread=True,
    status_code=202,
    responses=ACCEPTED_OR_DONE,
    operation_class=TaskStarted,
)
def create_task(ops: Ops, data: JSONBody[TaskCreate]) -> Response[dict[str, Any]]:
    """Run a function: 202 with the task id, or 200 with the result when `wait` is set."""
    view = ops.op_task_run(
        function=data.function,
        args=data.args,
        payload=data.payload,
        wait=data.wait,
        timeout=data.timeout,
        idempotency_key=data.idempotency_key,
    )
    return run_response(view, data.wait)


@get(
    "/tasks/{task_id:str}",
    opt={"rbac": ("tasks/{task_id}", "read")},
    sync_to_thread=True,
    responses=one(),
)
def show_task(ops: Ops, task_id: TaskId) -> dict[str, Any]:
    """One task with its children and log."""
    return ok(ops.op_task_show(task_id))


@delete(
    "/tasks/{task_id:str}",
    opt={"rbac": ("tasks/{task_id}", "delete")},
    sync_to_thread=True,
    status_code=200,
    responses=one(409),
)
def cancel_task(ops: Ops, task_id: TaskId) -> dict[str, Any]:
    """Cancel a queued or delayed task (a running or finished one is a 409)."""
    try:
        return ok(ops.op_task_cancel(task_id))
    except NotFoundError:
        raise
    except UsageError as exc:  # it exists but has started or finished: its state conflicts
        raise ConflictError(exc.message, hint=exc.hint, details=exc.details) from None


@get(
    "/tasks/{task_id:str}/logs",
    opt={"rbac": ("tasks/{task_id}/logs", "read")},
    sync_to_thread=True,
    responses=page(),
)
def task_logs(
    ops: Ops, task_id: TaskId, limit: Limit = DEFAULT_LIMIT, offset: Offset = 0
) -> dict[str, Any]:
    """A task's log lines, oldest first."""
    from legion.app.api.pagination import paginate

    page, meta = paginate(ops.op_task_logs(task_id), limit, offset)
    return ok(page, **meta)


HANDLERS = [list_tasks, create_task, show_task, cancel_task, task_logs]
