"""The `legion.*` tools: run and follow tasks, manage chains, relationships, schedules and
extensions, read status and (redacted) config, check RBAC, and `legion.do`.

Each is a thin call of a backend operation (the same op names as legionio's `Operations`), so
it behaves the same in-process and over the daemon; annotations say what each one changes.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import anyio.to_thread
from fastmcp import Context
from fastmcp.exceptions import ToolError
from fastmcp.tools.base import Tool
from pydantic import Field

from legion.core.errors import LegionError
from legion.mcp.backend import Backend
from legion.mcp.errors import as_tool_error
from legion.mcp.guard import Guard, decide
from legion.mcp.guard_middleware import check_tool
from legion.mcp.intent import resolve
from legion.mcp.options import ServerOptions
from legion.mcp.principal import current_principal
from legion.mcp.task_waiting import Progress, call, run_and_wait
from mcp import types

TaskId = Annotated[str, Field(description="A task id (32 hex digits), as run_task returns it.")]
Address = Annotated[str, Field(description="A function address: extension.runner.function.")]
JsonObject = dict[str, Any]


def progress_of(ctx: Context) -> Progress:
    """Progress notifications to the caller (sent only when it asked with a progress token)."""

    async def report(progress: float, total: float | None, message: str) -> None:
        await ctx.report_progress(progress, total, message)

    return report


def tool_hints(
    title: str,
    *,
    read_only: bool = False,
    destructive: bool = False,
    idempotent: bool = False,
    open_world: bool = False,
) -> types.ToolAnnotations:
    """Read-only tools say only that; others state all three hints explicitly."""
    if read_only:
        return types.ToolAnnotations(title=title, read_only_hint=True, open_world_hint=open_world)
    return types.ToolAnnotations(
        title=title,
        read_only_hint=False,
        destructive_hint=destructive,
        idempotent_hint=idempotent,
        open_world_hint=open_world,
    )


class ManagementTools:
    """Builds the `legion.*` tools over one backend, guard and set of options."""

    def __init__(self, backend: Backend, guard: Guard, options: ServerOptions) -> None:
        self.backend = backend
        self.guard = guard
        self.options = options

    async def op(self, operation: str, /, **params: Any) -> Any:
        """One backend operation; a LegionError becomes an error result with its hint."""
        try:
            return await call(self.backend, operation, params)
        except LegionError as exc:
            raise as_tool_error(exc) from None

    async def run(self, address: str, params: JsonObject, wait: bool, ctx: Context) -> JsonObject:
        """Validate against the function's schema, check the guard for it, run and follow it."""
        denied = check_tool(self.guard, address, {"via": "legion.run_task"})
        if denied is not None:
            raise ToolError(denied)
        try:
            cap = self.backend.registry().get(address)
            args = cap.validate(params)
            return await run_and_wait(
                self.backend,
                address,
                args,
                wait=wait,
                wait_seconds=self.options.wait_seconds,
                interval=self.options.progress_interval,
                progress=progress_of(ctx),
            )
        except LegionError as exc:
            raise as_tool_error(exc) from None

    def tools(self) -> list[Tool]:
        return [
            Tool.from_function(fn, name=name, annotations=notes, output_schema=None)
            for name, fn, notes in self._specs()
        ]

    def _specs(self) -> list[tuple[str, Callable[..., Awaitable[Any]], types.ToolAnnotations]]:
        op = self.op

        async def run_task(
            task: Address,
            ctx: Context,
            params: Annotated[
                JsonObject | None, Field(description="Arguments of the function.")
            ] = None,
            wait: Annotated[
                bool, Field(description="Wait for the result (else return the task id).")
            ] = True,
        ) -> JsonObject:
            """Run a function as a task; with `wait`, return its result (or its id if it takes
            longer than the server's wait, with progress notifications meanwhile)."""
            return await self.run(task, params or {}, wait, ctx)

        async def describe_runner(
            runner: Annotated[
                str, Field(description="A runner (extension.runner) or a function address.")
            ],
        ) -> JsonObject:
            """The functions of a runner with their signatures, input schemas and options."""
            return {"functions": await op("runner.describe", runner=runner)}

        async def list_tasks(
            status: Annotated[str | None, Field(description="Only tasks with this status.")] = None,
            function: Annotated[str | None, Field(description="Only this function.")] = None,
            limit: Annotated[int, Field(ge=1, le=1000)] = 50,
            offset: Annotated[int, Field(ge=0)] = 0,
        ) -> JsonObject:
            """Recent tasks, newest first, one page at a time."""
            page: JsonObject = await op(
                "task.list", status=status, function=function, limit=limit, offset=offset
            )
            return page

        async def get_task(task_id: TaskId) -> JsonObject:
            """One task: status, arguments, result or error, parent, children and its log."""
            task: JsonObject = await op("task.show", task_id=task_id)
            return task

        async def cancel_task(task_id: TaskId) -> JsonObject:
            """Cancel a queued or delayed task (a running or finished one cannot be)."""
            task: JsonObject = await op("task.cancel", task_id=task_id)
            return task

        async def get_task_logs(task_id: TaskId) -> JsonObject:
            """The log lines of a task, one per status change."""
            return {"task_id": task_id, "logs": await op("task.logs", task_id=task_id)}

        async def list_chains() -> JsonObject:
            """Every chain with the number of relationships it holds."""
            return {"chains": await op("chain.list")}

        async def create_chain(
            name: Annotated[str, Field(description="The chain's unique name.")],
            description: str | None = None,
        ) -> JsonObject:
            """Create an empty named chain; add relationships to it with create_relationship."""
            chain: JsonObject = await op("chain.create", name=name, description=description)
            return chain

        async def update_chain(
            name: str,
            active: Annotated[bool, Field(description="Turn all its relationships on or off.")],
        ) -> JsonObject:
            """Activate or deactivate every relationship of a chain at once."""
            chain: JsonObject = await op("chain.update", name=name, active=active)
            return chain

        async def delete_chain(name: str) -> JsonObject:
            """Delete a chain and every relationship in it."""
            result: JsonObject = await op("chain.delete", name=name)
            return result

        async def list_relationships(
            chain: Annotated[str | None, Field(description="Only this chain's.")] = None,
        ) -> JsonObject:
            """Every trigger → action relationship (optionally of one chain)."""
            return {"relationships": await op("relationship.list", chain=chain)}

        async def create_relationship(
            trigger: Annotated[str, Field(description="Function whose completion triggers.")],
            action: Annotated[str, Field(description="Function to run next.")],
            conditions: Annotated[
                JsonObject | None, Field(description="Rules on the trigger's result.")
            ] = None,
            transformation: Annotated[
                str | None, Field(description="Template mapping the result to the arguments.")
            ] = None,
            engine: Annotated[str, Field(description="jinja or jsonpath")] = "jinja",
            delay: Annotated[float, Field(ge=0)] = 0.0,
            chain: str | None = None,
            name: str | None = None,
        ) -> JsonObject:
            """Link two functions: when `trigger` completes (and `conditions` hold), run
            `action` with arguments rendered by `transformation`."""
            row: JsonObject = await op(
                "relationship.create",
                trigger=trigger,
                action=action,
                conditions=conditions,
                transformation=transformation,
                engine=engine,
                delay=delay,
                chain=chain,
                name=name,
            )
            return row

        async def update_relationship(
            relationship_id: int,
            active: bool | None = None,
            conditions: JsonObject | None = None,
            transformation: str | None = None,
            engine: str | None = None,
            delay: Annotated[float | None, Field(ge=0)] = None,
            name: str | None = None,
        ) -> JsonObject:
            """Change a relationship: `active` alone keeps its id; other changes replace it
            with a validated copy under a new id (the result says which)."""
            row: JsonObject = await op(
                "relationship.update",
                relationship_id=relationship_id,
                active=active,
                conditions=conditions,
                transformation=transformation,
                engine=engine,
                delay=delay,
                name=name,
            )
            return row

        async def delete_relationship(relationship_id: int) -> JsonObject:
            """Delete one relationship."""
            result: JsonObject = await op("relationship.delete", relationship_id=relationship_id)
            return result

        async def list_schedules() -> JsonObject:
            """Every schedule with its last and next run."""
            return {"schedules": await op("schedule.list")}

        async def create_schedule(
            name: str,
            function: Address,
            cron: Annotated[str | None, Field(description="A cron expression.")] = None,
            every: Annotated[float | None, Field(gt=0, description="Seconds.")] = None,
            args: JsonObject | None = None,
            payload: JsonObject | None = None,
        ) -> JsonObject:
            """Run `function` on a `cron` expression or `every` N seconds."""
            row: JsonObject = await op(
                "schedule.create",
                name=name,
                function=function,
                cron=cron,
                every=every,
                args=args,
                payload=payload,
            )
            return row

        async def update_schedule(
            name: str,
            function: str | None = None,
            cron: str | None = None,
            every: Annotated[float | None, Field(gt=0)] = None,
            args: JsonObject | None = None,
            payload: JsonObject | None = None,
        ) -> JsonObject:
            """Change a schedule's function, timing, arguments or payload (others are kept)."""
            row: JsonObject = await op(
                "schedule.update",
                name=name,
                function=function,
                cron=cron,
                every=every,
                args=args,
                payload=payload,
            )
            return row

        async def delete_schedule(name: str) -> JsonObject:
            """Delete a schedule; tasks it already started are not affected."""
            result: JsonObject = await op("schedule.delete", name=name)
            return result

        async def list_extensions() -> JsonObject:
            """Installed extensions with their status (loaded, failed, disabled, skipped)."""
            return {"extensions": await op("extension.list")}

        async def get_extension(name: str) -> JsonObject:
            """One extension: status, version, requirements and its functions."""
            ext: JsonObject = await op("extension.show", name=name)
            return ext

        async def enable_extension(name: str) -> JsonObject:
            """Load a disabled extension on this node until it restarts (its functions become
            tools); settings `extensions.disabled` decide the next start."""
            ext: JsonObject = await op("extension.enable", name=name)
            return ext

        async def disable_extension(name: str) -> JsonObject:
            """Unload an extension on this node until it restarts (its tools disappear)."""
            ext: JsonObject = await op("extension.disable", name=name)
            return ext

        async def get_status() -> JsonObject:
            """The node: mode, whether the engine runs, task counts, extensions, actors."""
            status: JsonObject = await op("status")
            return status

        async def get_config() -> JsonObject:
            """The effective settings with every secret redacted."""
            config: JsonObject = await op("config.show")
            return config

        async def rbac_check(
            resource: Annotated[str, Field(description="e.g. mcp/tools/ping.ping.ping")],
            action: str = "execute",
            principal: Annotated[
                str | None, Field(description="Who (default: the caller).")
            ] = None,
        ) -> JsonObject:
            """Whether a principal may perform an action on a resource, through the server's
            guard (allow-all until an RBAC package is configured)."""
            who = principal or current_principal()
            decision = decide(self.guard, who, resource, action)
            return {
                "principal": who,
                "resource": resource,
                "action": action,
                "allowed": decision.allowed,
                "reason": decision.reason,
            }

        async def do(
            text: Annotated[str, Field(description='What you want, e.g. "run a ping".')],
            ctx: Context,
            execute: Annotated[
                bool, Field(description="Run the match when it is clear (else only list).")
            ] = True,
        ) -> JsonObject:
            """Find the function meant by free text (an exact or clear lexical match, else the
            configured LLM's pick among the best matches) and run it; when nothing is clear,
            list the best candidates with scores."""
            intent = await anyio.to_thread.run_sync(
                functools.partial(resolve, text, self.backend.registry(), llm=self.options.llm)
            )
            out: JsonObject = intent.model_dump()
            out["run"] = None
            if intent.chosen and execute:
                out["run"] = await self.run(intent.chosen, intent.args, True, ctx)
            return out

        ro = {"read_only": True}
        risky = {"destructive": True, "open_world": True}
        return [
            ("legion.run_task", run_task, tool_hints("Run a task", **risky)),
            ("legion.describe_runner", describe_runner, tool_hints("Describe a runner", **ro)),
            ("legion.list_tasks", list_tasks, tool_hints("List tasks", **ro)),
            ("legion.get_task", get_task, tool_hints("Get a task", **ro)),
            ("legion.cancel_task", cancel_task, tool_hints("Cancel a task", destructive=True)),
            ("legion.get_task_logs", get_task_logs, tool_hints("Task logs", **ro)),
            ("legion.list_chains", list_chains, tool_hints("List chains", **ro)),
            ("legion.create_chain", create_chain, tool_hints("Create a chain")),
            (
                "legion.update_chain",
                update_chain,
                tool_hints("Activate or deactivate a chain", idempotent=True),
            ),
            ("legion.delete_chain", delete_chain, tool_hints("Delete a chain", destructive=True)),
            ("legion.list_relationships", list_relationships, tool_hints("Relationships", **ro)),
            ("legion.create_relationship", create_relationship, tool_hints("New relationship")),
            (
                "legion.update_relationship",
                update_relationship,
                tool_hints("Update a relationship", destructive=True),
            ),
            (
                "legion.delete_relationship",
                delete_relationship,
                tool_hints("Delete a relationship", destructive=True),
            ),
            ("legion.list_schedules", list_schedules, tool_hints("List schedules", **ro)),
            ("legion.create_schedule", create_schedule, tool_hints("Create a schedule")),
            (
                "legion.update_schedule",
                update_schedule,
                tool_hints("Update a schedule", destructive=True, idempotent=True),
            ),
            (
                "legion.delete_schedule",
                delete_schedule,
                tool_hints("Delete a schedule", destructive=True),
            ),
            ("legion.list_extensions", list_extensions, tool_hints("List extensions", **ro)),
            ("legion.get_extension", get_extension, tool_hints("Get an extension", **ro)),
            (
                "legion.enable_extension",
                enable_extension,
                tool_hints("Enable an extension", idempotent=True),
            ),
            (
                "legion.disable_extension",
                disable_extension,
                tool_hints("Disable an extension", destructive=True, idempotent=True),
            ),
            ("legion.get_status", get_status, tool_hints("Node status", **ro)),
            ("legion.get_config", get_config, tool_hints("Settings (redacted)", **ro)),
            ("legion.rbac_check", rbac_check, tool_hints("Check a permission", **ro)),
            ("legion.do", do, tool_hints("Do what the words say", **risky)),
        ]
