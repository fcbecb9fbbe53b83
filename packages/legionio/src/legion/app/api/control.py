"""The control endpoint the CLI uses while a daemon runs: one RPC route, reachable only over the
daemon's unix socket and only with the per-start token."""

from __future__ import annotations

import asyncio
import hmac
from typing import Any

from litestar import Request, Response, post
from litestar.datastructures import State

from legion.app.api.envelope import failure, ok
from legion.core.errors import LegionError


def came_over_unix_socket(request: Request[Any, Any, Any]) -> bool:
    server = request.scope.get("server")
    return server is None or (isinstance(server, list | tuple) and server[1] is None)


@post("/control/rpc", status_code=200, include_in_schema=False)
async def rpc(request: Request[Any, Any, Any], state: State) -> Response[dict[str, Any]]:
    """Run one operation (`{"op": "task.run", "params": {...}}`) for the local CLI."""
    token: str | None = state.get("control_token")
    header = request.headers.get("authorization", "")
    given = header.removeprefix("Bearer ").strip()
    if not token or not came_over_unix_socket(request) or not hmac.compare_digest(given, token):
        return Response(
            failure("unauthorized", "the control socket needs the daemon's token"), status_code=401
        )
    body = await request.json()
    if not isinstance(body, dict) or not isinstance(body.get("op"), str):
        return Response(
            failure("bad_request", 'expected {"op": str, "params": {...}}'), status_code=400
        )
    params = body.get("params") or {}
    try:
        data = await asyncio.to_thread(state.operations.call, body["op"], params)
    except LegionError as exc:
        status = 404 if exc.code == "not_found" else 422 if exc.code == "validation_failed" else 400
        return Response({"error": exc.to_dict()}, status_code=status)
    except TypeError as exc:
        return Response(
            failure("bad_request", f"bad parameters for {body['op']}: {exc}"), status_code=400
        )
    return Response(ok(data), status_code=200)
