"""Read-only views for agents: `legion://runners` (the catalog), one extension, one task."""

from __future__ import annotations

from typing import Any

from fastmcp import FastMCP
from fastmcp.exceptions import ResourceError

from legion.core.errors import LegionError
from legion.core.registry import CapabilityRegistry
from legion.mcp.backend import Backend
from legion.mcp.errors import error_text
from legion.mcp.task_waiting import call
from legion.mcp.tools_from_registry import exposed

JSON = "application/json"


def runners_catalog(registry: CapabilityRegistry) -> dict[str, Any]:
    """Every runner with its functions, grouped `extension.runner` → functions."""
    runners: dict[str, dict[str, Any]] = {}
    for cap in registry:
        entry = runners.setdefault(
            f"{cap.extension}.{cap.runner}",
            {"extension": cap.extension, "runner": cap.runner, "functions": []},
        )
        entry["functions"].append(
            {
                "address": cap.address,
                "description": cap.description,
                "signature": cap.signature,
                "input_schema": cap.input_schema,
                "tool": exposed(cap),
            }
        )
    return {"runners": runners}


def add_resources(server: FastMCP, backend: Backend) -> None:
    async def op(operation: str, /, **params: Any) -> Any:
        try:
            return await call(backend, operation, params)
        except LegionError as exc:
            raise ResourceError(error_text(exc)) from None

    @server.resource("legion://runners", name="runners", mime_type=JSON)
    def runners() -> dict[str, Any]:
        """The catalog: every runner of every loaded extension and its functions."""
        return runners_catalog(backend.registry())

    @server.resource("legion://extensions/{name}", name="extension", mime_type=JSON)
    async def extension(name: str) -> dict[str, Any]:
        """One installed extension: status, version, requirements and functions."""
        found: dict[str, Any] = await op("extension.show", name=name)
        return found

    @server.resource("legion://tasks/{task_id}", name="task", mime_type=JSON)
    async def task(task_id: str) -> dict[str, Any]:
        """One task with its result or error, children and log."""
        found: dict[str, Any] = await op("task.show", task_id=task_id)
        return found
