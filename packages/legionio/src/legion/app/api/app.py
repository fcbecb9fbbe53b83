"""Builds the litestar application: `/api/v1` over `Operations` (and the catalog for what
needs no runtime), the deprecated unversioned twin, OpenAPI, errors and the control route."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from litestar import Litestar
from litestar.datastructures import State

from legion.app.api import openapi
from legion.app.api.allow import answer_options
from legion.app.api.deps import DEPENDENCIES
from legion.app.api.errors import EXCEPTION_HANDLERS
from legion.app.api.routes import (
    chains,
    events,
    extensions,
    metrics,
    relationships,
    schedules,
    system,
    tasks,
)
from legion.app.api.versioning import deprecation_middleware, versioned_routers
from legion.core.catalog import Catalog


def v1_handlers(with_operations: bool) -> list[Any]:
    """The catalog's routes always; the runtime's only when there are operations to call."""
    handlers: list[Any] = [*system.CATALOG_HANDLERS, *extensions.CATALOG_HANDLERS]
    if with_operations:
        for module in (system, tasks, relationships, chains, schedules, extensions, events):
            handlers.extend(module.HANDLERS)
    return handlers


def create_app(
    catalog: Catalog,
    *,
    operations: Any = None,
    control_token: str | None = None,
    middleware: Sequence[Any] = (),
) -> Litestar:
    """The REST API; with `operations` it serves every route and, with a token, the CLI's
    control route. `middleware` (e.g. authentication) wraps every route."""
    handlers: list[Any] = [*versioned_routers(v1_handlers(operations is not None))]
    handlers.extend(openapi.HANDLERS)
    if operations is not None:
        from legion.app.api.control import rpc

        handlers.append(rpc)
        handlers.extend(metrics.HANDLERS)
    return Litestar(
        route_handlers=handlers,
        dependencies=DEPENDENCIES,
        middleware=[deprecation_middleware, *middleware],  # the first is the outermost
        before_request=answer_options,
        state=State(
            {
                "catalog": catalog,
                "started": time.monotonic(),
                "operations": operations,
                "control_token": control_token,
            }
        ),
        exception_handlers=EXCEPTION_HANDLERS,
        openapi_config=openapi.openapi_config(),
        request_max_body_size=catalog.settings.api.max_body_bytes,
    )
