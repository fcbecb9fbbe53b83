"""The node itself: health, readiness, nodes, settings (redacted) and transport status."""

from __future__ import annotations

import time
from typing import Any

from litestar import Response, get
from litestar.datastructures import State
from litestar.params import FromQuery

from legion.app._version import __version__
from legion.app.api.deps import CatalogDep, Ops
from legion.app.api.envelope import ok
from legion.app.api.pagination import DEFAULT_LIMIT, Limit, Offset, paginate
from legion.app.api.responses import PUBLIC as PUBLIC_RESPONSES
from legion.app.api.responses import one, page

PUBLIC = {"public": True}


@get("/health", opt=PUBLIC, sync_to_thread=False, responses=PUBLIC_RESPONSES)
def health(state: State, catalog: CatalogDep) -> dict[str, Any]:
    """Liveness: answers while the process serves requests."""
    return ok(
        {
            "status": "ok",
            "version": __version__,
            "mode": catalog.settings.mode,
            "uptime_seconds": round(time.monotonic() - state.started, 3),
        }
    )


@get("/ready", opt=PUBLIC, sync_to_thread=False, responses=PUBLIC_RESPONSES)
def ready(catalog: CatalogDep) -> Response[dict[str, Any]]:
    """Readiness: served only after extensions are loaded; lists the ones that failed."""
    failed = [r.name for r in catalog.records if r.status == "failed"]
    return Response(ok({"ready": True, "extensions_failed": failed}), status_code=200)


@get("/nodes", opt={"rbac": ("nodes/", "list")}, sync_to_thread=True, responses=page())
def list_nodes(
    ops: Ops, alive_only: FromQuery[bool] = False, limit: Limit = DEFAULT_LIMIT, offset: Offset = 0
) -> dict[str, Any]:
    """Nodes known from heartbeats, with whether each is alive."""
    page, meta = paginate(ops.op_node_list(alive_only=alive_only), limit, offset)
    return ok(page, **meta)


@get("/settings", opt={"rbac": ("settings", "read")}, sync_to_thread=True, responses=one())
def show_settings(ops: Ops) -> dict[str, Any]:
    """The effective settings with every secret redacted."""
    return ok(ops.op_config_show())


@get("/transport", opt={"rbac": ("transport", "read")}, sync_to_thread=True, responses=one())
def transport_status(ops: Ops) -> dict[str, Any]:
    """Transport mode, its URL (password redacted) and what waits in the outbox spool."""
    return ok(ops.op_transport_status())


CATALOG_HANDLERS = [health, ready]
HANDLERS = [list_nodes, show_settings, transport_status]
