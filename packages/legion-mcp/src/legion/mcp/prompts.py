"""Prompts that start common agent jobs: build a chain, debug a failed task."""

from __future__ import annotations

import json
from typing import Any

from fastmcp import FastMCP

from legion.core.errors import LegionError
from legion.mcp.backend import Backend
from legion.mcp.errors import error_text
from legion.mcp.task_waiting import call
from legion.mcp.tools_from_registry import exposed


def add_prompts(server: FastMCP, backend: Backend) -> None:
    @server.prompt(name="legion.build_chain")
    def build_chain(goal: str) -> str:
        """Plan and create a chain of relationships that achieves `goal`."""
        functions = "\n".join(
            f"- {cap.address}{cap.signature}: {cap.description}"
            for cap in backend.registry()
            if exposed(cap)
        )
        return (
            f"Build a Legion chain that achieves this goal: {goal}\n\n"
            "A chain is a named set of relationships. A relationship runs `action` when "
            "`trigger` completes, only if its `conditions` hold on the trigger's result, with "
            "arguments rendered from that result by its `transformation` (jinja or jsonpath).\n\n"
            f"Functions on this node:\n{functions}\n\n"
            "Steps: 1) pick the functions; 2) call legion.create_chain; 3) call "
            "legion.create_relationship for each link with chain set; 4) start it with "
            "legion.run_task on the first function and follow the tasks with legion.get_task."
        )

    @server.prompt(name="legion.debug_failed_task")
    async def debug_failed_task(task_id: str) -> str:
        """Explain why a task failed and propose a fix, from the task and its log."""
        try:
            task: Any = await call(backend, "task.show", {"task_id": task_id})
            shown = json.dumps(task, indent=2, default=str)
        except LegionError as exc:
            shown = f"(the task could not be read: {error_text(exc)})"
        return (
            f"Task {task_id} did not complete as expected. Here is the task, its children and "
            f"its log:\n\n{shown}\n\n"
            "Explain what failed and why (status, error type and message, the arguments it "
            "got, the parent that triggered it). Then propose a fix: different arguments "
            "(legion.describe_runner shows the schema), a corrected relationship "
            "(legion.update_relationship), or a retry with legion.run_task."
        )
