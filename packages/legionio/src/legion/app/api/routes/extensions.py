"""Extensions and their functions from the capability registry; enabling, disabling and
invoking a function go through `Operations`."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Response, get, patch, post
from litestar.enums import RequestEncodingType
from litestar.params import BodyKwarg, FromQuery, JSONBody, QueryParameter

from legion.app.api.deps import CatalogDep, Ops
from legion.app.api.dto import ExtensionUpdate
from legion.app.api.envelope import ok
from legion.app.api.pagination import DEFAULT_LIMIT, Limit, Offset, paginate
from legion.app.api.params import NamePath
from legion.app.api.responses import BODY_ERRORS, one, page
from legion.app.api.routes.tasks import ACCEPTED_OR_DONE, TaskStarted, run_response
from legion.app.operations import describe_extension, describe_extensions, describe_runners

ARGS_BODY = BodyKwarg(
    media_type=RequestEncodingType.JSON, description="the function's arguments (its input schema)"
)
WaitTimeout = Annotated[
    float, QueryParameter(gt=0, le=300, description="with wait: seconds to wait, at most 300")
]


@get("/extensions", opt={"rbac": ("extensions/", "list")}, sync_to_thread=False, responses=page())
def list_extensions(
    catalog: CatalogDep, limit: Limit = DEFAULT_LIMIT, offset: Offset = 0
) -> dict[str, Any]:
    """Installed extensions, their status and function addresses (as `legion lex list`)."""
    page, meta = paginate(describe_extensions(catalog), limit, offset)
    return ok(page, **meta)


@get(
    "/extensions/{extension:str}",
    opt={"rbac": ("extensions/{extension}", "read")},
    sync_to_thread=False,
    responses=one(),
)
def show_extension(catalog: CatalogDep, extension: NamePath) -> dict[str, Any]:
    """One extension with its runners and each function's input schema."""
    return ok(describe_extension(catalog, extension))


@get(
    "/extensions/{extension:str}/runners",
    opt={"rbac": ("extensions/{extension}/runners", "list")},
    sync_to_thread=False,
    responses=page(),
)
def list_runners(catalog: CatalogDep, extension: NamePath) -> dict[str, Any]:
    rows = describe_runners(catalog, extension)
    return ok(rows, limit=len(rows), offset=0, total=len(rows), has_more=False)


@get(
    "/extensions/{extension:str}/{runner:str}/{function:str}",
    opt={"rbac": ("extensions/{extension}/{runner}/{function}", "read")},
    sync_to_thread=False,
    responses=one(),
)
def show_function(
    catalog: CatalogDep, extension: NamePath, runner: NamePath, function: NamePath
) -> dict[str, Any]:
    """A function's description and input schema."""
    return ok(catalog.registry.get(f"{extension}.{runner}.{function}").describe())


@patch(
    "/extensions/{extension:str}",
    opt={"rbac": ("extensions/{extension}", "update")},
    sync_to_thread=True,
    responses=one(*BODY_ERRORS),
)
def update_extension(
    ops: Ops, extension: NamePath, data: JSONBody[ExtensionUpdate]
) -> dict[str, Any]:
    """Enable or disable an extension in this process until restart."""
    if data.enabled:
        return ok(ops.op_extension_enable(extension))
    return ok(ops.op_extension_disable(extension))


@post(
    "/extensions/{extension:str}/{runner:str}/{function:str}",
    opt={"rbac": ("extensions/{extension}/{runner}/{function}", "execute")},
    sync_to_thread=True,
    status_code=202,
    responses=ACCEPTED_OR_DONE,
    operation_class=TaskStarted,
)
def invoke_function(
    ops: Ops,
    extension: NamePath,
    runner: NamePath,
    function: NamePath,
    data: Annotated[dict[str, Any] | None, ARGS_BODY] = None,
    wait: FromQuery[bool] = False,
    timeout: WaitTimeout = 60.0,
) -> Response[dict[str, Any]]:
    """Run a function as a task: 202 with the task id; `?wait=true` answers 200 with the
    result. Arguments are checked against the function's schema first (422 names the fields)."""
    address = f"{extension}.{runner}.{function}"
    # op_task_run refuses functions not remotely invocable, then the engine validates the
    # arguments against the registry's schema (ValidationFailed lists every field: a 422).
    view = ops.op_task_run(function=address, args=data or {}, wait=wait, timeout=timeout)
    return run_response(view, wait)


CATALOG_HANDLERS = [list_extensions, show_extension, list_runners, show_function]
HANDLERS = [update_extension, invoke_function]
