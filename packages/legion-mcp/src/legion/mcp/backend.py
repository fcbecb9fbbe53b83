"""What the MCP server needs from a Legion node: operations by name and the capability registry.

legion-mcp never imports the application: legionio hands it a `Backend` that runs operations
in-process or over the daemon's socket, with the same op names as its `Operations`.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from legion.core.registry import CapabilityRegistry


@runtime_checkable
class Backend(Protocol):
    """`call("task.run", {...})` returns JSON-ready values or raises a `LegionError`."""

    def call(self, op: str, params: dict[str, Any]) -> Any: ...

    def registry(self) -> CapabilityRegistry: ...
