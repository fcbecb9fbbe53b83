"""How Legion's errors reach an agent: one line with the problem and the fix, never a traceback."""

from __future__ import annotations

from typing import Any

from fastmcp.exceptions import ToolError

from legion.core.errors import LegionError


def error_text(exc: BaseException) -> str:
    """`message (hint: ...)` for a LegionError, `Type: message` for anything else."""
    if isinstance(exc, LegionError):
        return f"{exc.message} (hint: {exc.hint})" if exc.hint else exc.message
    return f"{type(exc).__name__}: {exc}"


def as_tool_error(exc: BaseException) -> ToolError:
    """A ToolError FastMCP returns as an `isError` result with the readable text."""
    return ToolError(error_text(exc))


def task_error_text(view: dict[str, Any]) -> str:
    """The failure of a finished task, as the run view of `task.run` reports it."""
    error = view.get("error") or {}
    kind = error.get("type") or view.get("status", "failed")
    return f"task {view.get('task_id')} {view.get('status')}: {kind}: {error.get('message', '')}"
