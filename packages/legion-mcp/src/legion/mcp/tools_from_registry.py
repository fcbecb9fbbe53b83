"""Every exposed function of every loaded extension as an MCP tool, read live from the registry.

The tool name is the function's address (`ping.ping.ping`; MCP allows `[A-Za-z0-9_.-]`), the
input schema is the registry's, the description its docstring. Nothing is copied at start-up, so
enabling or disabling an extension changes the list the next time a client asks.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from fastmcp.exceptions import ToolError
from fastmcp.server.providers import Provider
from fastmcp.tools.base import Tool, ToolResult
from fastmcp.utilities.versions import VersionSpec
from pydantic import PrivateAttr

from legion.core.errors import LegionError
from legion.core.registry import Capability
from legion.mcp.backend import Backend
from legion.mcp.errors import as_tool_error, task_error_text
from legion.mcp.task_waiting import FINAL
from mcp import types

READ_ONLY_TAGS = frozenset({"read-only", "readonly", "read_only"})

RunCapability = Callable[[Capability, dict[str, Any]], Awaitable[dict[str, Any]]]


def exposed(cap: Capability) -> bool:
    """Functions an agent may call: MCP-exposed and remotely invocable."""
    return cap.options.mcp_exposed and cap.options.remote_invocable


def tool_description(cap: Capability) -> str:
    """The author's description, else the whole docstring, else the signature."""
    if cap.options.description:
        return cap.options.description
    doc = inspect.getdoc(cap.target)
    return doc or f"{cap.address}{cap.signature}"


def tool_annotations(cap: Capability) -> types.ToolAnnotations:
    """Only what the capability declares: idempotence, and read-only when tagged so."""
    read_only = bool(READ_ONLY_TAGS & set(cap.options.tags)) or None
    return types.ToolAnnotations(
        title=cap.address,
        read_only_hint=read_only,
        idempotent_hint=cap.options.idempotent or None,
        open_world_hint=None,
    )


def result_of(view: dict[str, Any]) -> ToolResult:
    """A finished task → its result; a failed one → an error; a pending one → its id."""
    status = view.get("status")
    if status in FINAL and status != "completed":
        raise ToolError(task_error_text(view))
    if status == "completed":
        text = json.dumps(view.get("result"), default=str, ensure_ascii=False)
    else:
        text = view.get("note") or f"task {view.get('task_id')} {status}"
    return ToolResult(content=text, structured_content=view)


class CapabilityTool(Tool):
    """One capability; calling it runs the function as a task through the backend."""

    address: str

    _capability: Capability = PrivateAttr()
    _runner: RunCapability = PrivateAttr()

    @classmethod
    def of(cls, cap: Capability, run: RunCapability) -> CapabilityTool:
        tool = cls(
            name=cap.address,
            address=cap.address,
            description=tool_description(cap),
            parameters=cap.input_schema,
            annotations=tool_annotations(cap),
            tags=set(cap.options.tags) | {"capability", f"extension:{cap.extension}"},
        )
        tool._capability = cap
        tool._runner = run
        return tool

    async def run(self, arguments: dict[str, Any]) -> ToolResult:
        try:
            args = self._capability.validate(arguments)
            view = await self._runner(self._capability, args)
        except ToolError:
            raise
        except LegionError as exc:
            raise as_tool_error(exc) from None
        return result_of(view)


class RegistryToolProvider(Provider):
    """Lists and finds capability tools in the backend's registry at the moment of asking."""

    def __init__(self, backend: Backend, run: RunCapability) -> None:
        super().__init__()
        self.backend = backend
        self.run = run
        self._built: dict[str, tuple[Capability, CapabilityTool]] = {}

    def _tool(self, cap: Capability) -> CapabilityTool:
        cached = self._built.get(cap.address)
        if cached is not None and cached[0] is cap:
            return cached[1]
        tool = CapabilityTool.of(cap, self.run)
        self._built[cap.address] = (cap, tool)
        return tool

    async def _list_tools(self) -> Sequence[Tool]:
        return [self._tool(cap) for cap in self.backend.registry() if exposed(cap)]

    async def _get_tool(self, name: str, version: VersionSpec | None = None) -> Tool | None:
        registry = self.backend.registry()
        if name not in registry:
            return None
        cap = registry.get(name)
        return self._tool(cap) if exposed(cap) else None
