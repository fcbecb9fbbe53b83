"""`/api/v1/...` is the API; `/api/...` without the version serves the same handlers (copies,
kept out of the OpenAPI schema) and marks every response deprecated with a successor link.

The marking is an app-level middleware placed outside every other one (authentication
included), so the refusals other layers answer themselves (401, 403, 429) carry it too."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from litestar import Router
from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

VERSION_PREFIX = "/api/v1"
LEGACY_PREFIX = "/api"
LEGACY_OPT = "deprecated_twin"  # in the `opt` of every handler of the unversioned twin


def successor(path: str) -> str:
    """`/api/tasks/7` → `/api/v1/tasks/7`."""
    return VERSION_PREFIX + path.removeprefix(LEGACY_PREFIX)


def is_legacy(scope: Scope) -> bool:
    handler = scope.get("route_handler")
    return bool((getattr(handler, "opt", None) or {}).get(LEGACY_OPT))


def deprecation_middleware(app: ASGIApp) -> ASGIApp:
    """On the unversioned twin's routes: `Deprecation: true` and
    `Link: <successor>; rel="successor-version"`; other routes pass untouched."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or not is_legacy(scope):
            await app(scope, receive, send)
            return
        link = f'<{successor(scope["path"])}>; rel="successor-version"'

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message)
                headers["Deprecation"] = "true"
                headers["Link"] = link
            await send(message)

        await app(scope, receive, send_with_headers)

    return middleware


def versioned_routers(handlers: Sequence[Any]) -> list[Router]:
    """The v1 router and its unversioned, deprecated twin, each with its own handler copies
    (litestar binds a handler to the one router it is registered on)."""
    current = Router(VERSION_PREFIX, route_handlers=[copy.deepcopy(h) for h in handlers])
    legacy = Router(
        LEGACY_PREFIX,
        route_handlers=[copy.deepcopy(h) for h in handlers],
        include_in_schema=False,
        opt={LEGACY_OPT: True},
    )
    return [current, legacy]
