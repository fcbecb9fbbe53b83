"""Every engine operation the CLI, the control socket and the REST API offer, in one place.

Each method takes and returns JSON-ready values, so the same call works in-process or over the
daemon's socket.
"""

from __future__ import annotations

import json
from typing import Any

from legion.core.catalog import Catalog
from legion.core.engine import task as st
from legion.core.engine.task import Task
from legion.core.errors import LegionError, NotFoundError, UsageError
from legion.core.runtime import Runtime


def task_view(task: Task) -> dict[str, Any]:
    return {
        "task_id": task.id,
        "function": task.function,
        "status": task.status,
        "args": task.args,
        "payload": task.payload,
        "result": task.result,
        "error": task.error,
        "parent_id": task.parent_id,
        "master_id": task.master_id,
        "depth": task.depth,
        "chain": task.chain,
        "relationship_id": task.relationship_id,
        "attempts": task.attempts,
        "created_at": task.created_at,
        "started_at": task.started_at,
        "finished_at": task.finished_at,
        "run_at": task.run_at,
    }


def run_view(task: Task) -> dict[str, Any]:
    return {"task_id": task.id, "status": task.status, "result": task.result, "error": task.error}


class Operations:
    """Operations over one runtime; `engine_running` says whether its workers run here."""

    def __init__(self, runtime: Runtime, *, engine_running: bool, actors: Any = None) -> None:
        self.runtime = runtime
        self.engine_running = engine_running
        self.actors = actors  # the daemon's ActorRunner, when actors run here

    def call(self, op: str, params: dict[str, Any]) -> Any:
        method = getattr(self, "op_" + op.replace(".", "_"), None)
        if method is None:
            raise UsageError(f"unknown operation {op!r}")
        return method(**params)

    # -- tasks --------------------------------------------------------------------------------
    def op_task_run(
        self,
        function: str,
        args: dict[str, Any] | None = None,
        payload: dict[str, Any] | None = None,
        wait: bool = False,
        timeout: float = 60.0,
        idempotency_key: str | None = None,
        remote: bool = True,
    ) -> dict[str, Any]:
        engine = self.runtime.engine
        cap = engine.capability(function)
        if remote and not cap.options.remote_invocable:
            raise UsageError(
                f"{function} is not remotely invocable",
                hint="it can only be triggered inside the node (by an actor or a chain)",
            )
        if not self.engine_running:
            # No workers here: persist it queued for the next daemon to run.
            task = engine.prepare(function, args, payload=payload, idempotency_key=idempotency_key)
            existing = (
                self.runtime.tasks.find_idempotent(idempotency_key) if idempotency_key else None
            )
            if existing is not None:
                return run_view(existing)
            self.runtime.tasks.insert_now(task, "submitted (no daemon running: queued)")
            return run_view(task)
        task = engine.submit(function, args, payload=payload, idempotency_key=idempotency_key)
        if wait and not engine.wait(task.id, timeout):
            current = engine.get(task.id) or task
            view = run_view(current)
            view["error"] = {
                "type": "Timeout",
                "message": f"not finished after {timeout}s; "
                f"it goes on (see `legion task show {task.id}`)",
            }
            return view
        if wait:
            self.runtime.tasks.flush()
            return run_view(engine.get(task.id) or task)
        return run_view(task)

    def op_task_list(
        self,
        status: str | None = None,
        function: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> dict[str, Any]:
        if status is not None and status not in st.STATUSES:
            raise UsageError(f"unknown status {status!r}; one of: {', '.join(st.STATUSES)}")
        tasks, total = self.runtime.tasks.query(
            status=status, function=function, limit=limit, offset=offset
        )
        return {
            "tasks": [task_view(t) for t in tasks],
            "total": total,
            "limit": limit,
            "offset": offset,
            "has_more": offset + len(tasks) < total,
        }

    def _task(self, task_id: str) -> Task:
        task = self.runtime.engine.get(task_id) if self.engine_running else None
        task = task or self.runtime.tasks.get(task_id)
        if task is None:
            raise NotFoundError(f"no task with id {task_id}", hint="`legion task list` shows tasks")
        return task

    def op_task_show(self, task_id: str) -> dict[str, Any]:
        task = self._task(task_id)
        view = task_view(task)
        view["children"] = [
            {"task_id": c.id, "function": c.function, "status": c.status}
            for c in self.runtime.tasks.children(task.id)
        ]
        view["log"] = self.runtime.tasks.logs(task.id)
        return view

    def op_task_logs(self, task_id: str) -> list[dict[str, Any]]:
        self._task(task_id)
        return self.runtime.tasks.logs(task_id)

    def op_task_cancel(self, task_id: str) -> dict[str, Any]:
        return task_view(self.runtime.engine.cancel(task_id))

    # -- relationships and chains -------------------------------------------------------------
    def op_relationship_create(
        self,
        trigger: str,
        action: str,
        conditions: dict[str, Any] | None = None,
        transformation: str | None = None,
        engine: str = "jinja",
        delay: float = 0.0,
        chain: str | None = None,
        name: str | None = None,
    ) -> dict[str, Any]:
        row = self.runtime.relationships.create(
            self.runtime.catalog.registry,
            trigger=trigger,
            action=action,
            conditions=conditions,
            transformation=transformation,
            engine=engine,
            delay=delay,
            chain=chain,
            name=name,
        )
        self.runtime.reload_relationships()
        return row.model_dump()

    def op_relationship_list(self, chain: str | None = None) -> list[dict[str, Any]]:
        return [r.model_dump() for r in self.runtime.relationships.list(chain=chain)]

    def op_relationship_show(self, relationship_id: int) -> dict[str, Any]:
        return self.runtime.relationships.get(relationship_id).model_dump()

    def op_relationship_delete(self, relationship_id: int) -> dict[str, Any]:
        self.runtime.relationships.delete(relationship_id)
        self.runtime.reload_relationships()
        return {"deleted": relationship_id}

    def op_relationship_activate(self, relationship_id: int, active: bool) -> dict[str, Any]:
        row = self.runtime.relationships.set_active(relationship_id, active)
        self.runtime.reload_relationships()
        return row.model_dump()

    def op_chain_create(self, name: str, description: str | None = None) -> dict[str, Any]:
        return self.runtime.relationships.create_chain(name, description).model_dump()

    def op_chain_list(self) -> list[dict[str, Any]]:
        rels = self.runtime.relationships.list()
        return [
            {**c.model_dump(), "relationships": sum(1 for r in rels if r.chain == c.name)}
            for c in self.runtime.relationships.chains()
        ]

    def op_chain_show(self, name: str) -> dict[str, Any]:
        chain = self.runtime.relationships.chain(name).model_dump()
        chain["relationships"] = [r.model_dump() for r in self.runtime.relationships.list(name)]
        return chain

    def op_chain_delete(self, name: str) -> dict[str, Any]:
        removed = self.runtime.relationships.delete_chain(name)
        self.runtime.reload_relationships()
        return {"deleted": name, "relationships_deleted": removed}

    # -- functions and status -----------------------------------------------------------------
    def op_function_call(self, function: str, args: dict[str, Any] | None = None) -> Any:
        """Call a capability synchronously (management functions like scheduler.schedule.add)."""
        cap = self.runtime.catalog.registry.get(function)
        result = cap.call(cap.validate(args or {}))
        json.dumps(result, default=str)
        return result

    def op_status(self) -> dict[str, Any]:
        counts: dict[str, int] = {}
        for status in st.STATUSES:
            _, total = self.runtime.tasks.query(status=status, limit=1)
            if total:
                counts[status] = total
        records = self.runtime.catalog.records
        return {
            "mode": self.runtime.settings.mode,
            "engine_running": self.engine_running,
            "workers": self.runtime.settings.engine.workers,
            "tasks": counts,
            "relationships": len(self.runtime.engine.relationships),
            "extensions": {r.name: r.status for r in records},
            "functions": len(self.runtime.catalog.registry),
            "actors": self.actors.describe() if self.actors is not None else [],
        }

    # -- waiting, runners, extensions, schedules, config (used by the MCP server) --------------
    def op_task_wait(self, task_id: str, timeout: float = 1.0) -> dict[str, Any]:
        """Wait up to `timeout` seconds for a task's chain to finish; the task as it stands."""
        if self.engine_running:
            self.runtime.engine.wait(task_id, max(0.0, min(timeout, 60.0)))
            self.runtime.tasks.flush()
        return run_view(self._task(task_id))

    def op_runner_describe(self, runner: str) -> list[dict[str, Any]]:
        """The functions of `extension.runner` (or the one function an address names)."""
        registry = self.runtime.catalog.registry
        if runner.count(".") == 2:
            return [registry.get(runner).describe()]
        found = [c.describe() for c in registry if f"{c.extension}.{c.runner}" == runner]
        if not found:
            known = sorted({f"{c.extension}.{c.runner}" for c in registry})
            raise NotFoundError(
                f"no runner {runner!r}", hint=f"runners: {', '.join(known) or 'none loaded'}"
            )
        return found

    def op_extension_list(self) -> list[dict[str, Any]]:
        registry = self.runtime.catalog.registry
        return [
            {**r.to_dict(), "functions": len(registry.of_extension(r.name))}
            for r in self.runtime.catalog.records
        ]

    def op_extension_show(self, name: str) -> dict[str, Any]:
        record = self.runtime.catalog.record(name)
        view = record.to_dict()
        view["description"] = record.extension.description if record.extension else None
        view["functions"] = [c.describe() for c in self.runtime.catalog.registry.of_extension(name)]
        return view

    def op_extension_disable(self, name: str) -> dict[str, Any]:
        """Unload an extension from this process's registry until restart (not persisted)."""
        return disable_extension(self.runtime.catalog, name)

    def op_extension_enable(self, name: str) -> dict[str, Any]:
        """Load an installed extension into this process's registry until restart."""
        return enable_extension(self.runtime.catalog, name)

    def op_schedule_list(self) -> Any:
        return self.op_function_call("scheduler.schedule.list", {})

    def op_schedule_create(
        self,
        name: str,
        function: str,
        cron: str | None = None,
        every: float | None = None,
        args: dict[str, Any] | None = None,
        payload: dict[str, Any] | None = None,
    ) -> Any:
        params = {"name": name, "function": function, "cron": cron, "every": every}
        return self.op_function_call(
            "scheduler.schedule.add", {**params, "args": args, "payload": payload}
        )

    def op_schedule_update(
        self,
        name: str,
        function: str | None = None,
        cron: str | None = None,
        every: float | None = None,
        args: dict[str, Any] | None = None,
        payload: dict[str, Any] | None = None,
    ) -> Any:
        """Replace a schedule with the given fields changed; the old one comes back on error."""
        rows = self.op_function_call("scheduler.schedule.list", {})
        old = next((r for r in rows if r.get("name") == name), None)
        if old is None:
            raise NotFoundError(f"no schedule named {name!r}", hint="legion schedule list")
        timing = (
            {"cron": cron, "every": None}
            if cron is not None
            else {"cron": None, "every": every}
            if every is not None
            else {"cron": old.get("cron"), "every": old.get("interval")}
        )
        merged = {
            "name": name,
            "function": function or old.get("function"),
            **timing,
            "args": args if args is not None else old.get("args"),
            "payload": payload if payload is not None else old.get("payload"),
            "transformation": old.get("transformation"),
            "engine": old.get("engine") or "jinja",
        }
        self.op_function_call("scheduler.schedule.remove", {"name": name})
        try:
            return self.op_function_call("scheduler.schedule.add", merged)
        except LegionError:
            keep = ("name", "function", "cron", "args", "payload", "transformation", "engine")
            restore = {k: old.get(k) for k in keep}
            restore["every"] = old.get("interval")
            self.op_function_call("scheduler.schedule.add", restore)
            raise

    def op_schedule_delete(self, name: str) -> Any:
        return self.op_function_call("scheduler.schedule.remove", {"name": name})

    def op_config_show(self) -> dict[str, Any]:
        """The effective settings, redacted (token digests included, though not secrets)."""
        from legion.core.settings import REDACTED

        shown = self.runtime.settings.redacted()
        auth = shown.get("mcp", {}).get("auth", {})
        if auth.get("tokens"):
            auth["tokens"] = [REDACTED for _ in auth["tokens"]]
        return shown

    def op_chain_update(self, name: str, active: bool) -> dict[str, Any]:
        """Turn every relationship of a chain on or off."""
        self.runtime.relationships.chain(name)
        for rel in self.runtime.relationships.list(chain=name):
            if rel.id is not None:
                self.runtime.relationships.set_active(rel.id, active)
        self.runtime.reload_relationships()
        return self.op_chain_show(name)

    def op_relationship_update(
        self,
        relationship_id: int,
        active: bool | None = None,
        conditions: dict[str, Any] | None = None,
        transformation: str | None = None,
        engine: str | None = None,
        delay: float | None = None,
        name: str | None = None,
    ) -> dict[str, Any]:
        """`active` alone keeps the id; other changes create a validated copy and delete the
        old one (the store has no in-place update), so the result carries the new id."""
        store = self.runtime.relationships
        old = store.get(relationship_id)
        changes = [conditions, transformation, engine, delay, name]
        if all(v is None for v in changes):
            if active is None:
                raise UsageError("nothing to change: give active or another field")
            row = store.set_active(relationship_id, active)
            self.runtime.reload_relationships()
            return {**row.model_dump(), "replaced": None}
        row = store.create(
            self.runtime.catalog.registry,
            trigger=old.trigger,
            action=old.action,
            conditions=conditions if conditions is not None else old.conditions,
            transformation=transformation if transformation is not None else old.transformation,
            engine=engine or old.engine,
            delay=delay if delay is not None else old.delay,
            chain=old.chain,
            name=name if name is not None else old.name,
            active=old.active if active is None else active,
        )
        store.delete(relationship_id)
        self.runtime.reload_relationships()
        return {**row.model_dump(), "replaced": relationship_id}

    # -- views for the REST API (graph, nodes, transport) --------------------------------------
    def op_relationship_graph(self, chain: str | None = None) -> dict[str, Any]:
        """Relationships as a directed graph: functions are nodes, relationships are edges."""
        rels = self.runtime.relationships.list(chain=chain)
        names = sorted({r.trigger for r in rels} | {r.action for r in rels})
        registry = self.runtime.catalog.registry
        return {
            "nodes": [{"id": n, "loaded": n in registry} for n in names],
            "edges": [
                {
                    "id": r.id,
                    "source": r.trigger,
                    "target": r.action,
                    "chain": r.chain,
                    "name": r.name,
                    "active": r.active,
                    "delay": r.delay,
                    "conditional": bool(r.conditions),
                }
                for r in rels
            ],
        }

    def op_node_list(self, alive_only: bool = False) -> list[dict[str, Any]]:
        """Nodes that sent heartbeats (lex-node); without lex-node, this node alone."""
        if "node.registry.list" in self.runtime.catalog.registry:
            rows = self.op_function_call("node.registry.list", {"alive_only": alive_only})
            return list(rows)
        import socket

        return [{"name": socket.gethostname(), "mode": self.runtime.settings.mode, "alive": True}]

    def op_transport_status(self) -> dict[str, Any]:
        """Where tasks travel (URL redacted) and what waits in the outbox spool, if any."""
        from legion.core.settings.redact import redact_url

        settings = self.runtime.settings
        plane = self.runtime.engine.plane
        outbox = getattr(plane, "_outbox", None)
        spool = getattr(outbox, "spool", None)
        pending = getattr(spool, "pending", None)
        return {
            "mode": settings.mode,
            "transport": redact_url(settings.transport.url),
            "distributed": bool(getattr(plane, "distributed", False)),
            "events": settings.transport.events,
            "spool_pending": pending if isinstance(pending, int) else None,
        }


def disable_extension(catalog: Catalog, name: str) -> dict[str, Any]:
    """Remove an extension's functions from the registry and mark its record disabled."""
    record = catalog.record(name)
    catalog.registry.remove(name)
    if record.status == "loaded":
        record.status = "disabled"
        record.reason = "disabled at run time (until restart; extensions.disabled persists it)"
    return record.to_dict()


def enable_extension(catalog: Catalog, name: str) -> dict[str, Any]:
    """Add an extension's functions to the registry: a disabled one, one never imported, or
    one installed since this process started (the entry points are scanned again)."""
    from legion.core.extensions import discovery
    from legion.core.extensions.components import LITE_COMPONENTS, provided_components

    known = any(r.name == name for r in catalog.records)
    if name in catalog.registry.extensions:
        return catalog.record(name).to_dict()
    record = catalog.record(name) if known else None
    if record is None or record.extension is None:
        if not known:
            discovery.clear_cache()
        ep = next((e for e in discovery.installed_entry_points() if e.name == name), None)
        if ep is None:
            raise NotFoundError(
                f"extension {name!r} is not installed",
                hint=f"install lex-{name} with pip, then enable it again",
            )
        loaded = discovery.load_one(ep, provided_components(catalog.settings, LITE_COMPONENTS))
        if loaded.status != "loaded" or loaded.extension is None:
            raise UsageError(f"extension {name} cannot be enabled: {loaded.reason}")
        if record is None:
            record = loaded
            catalog.records.append(record)
        record.extension, record.version = loaded.extension, loaded.version
    assert record.extension is not None
    catalog.registry.add(record.extension)
    record.status, record.reason = "loaded", "enabled at run time (until restart)"
    return record.to_dict()


def error_payload(exc: LegionError) -> dict[str, Any]:
    return {"error": exc.to_dict()}


def describe_extensions(catalog: Catalog) -> list[dict[str, Any]]:
    """Every discovered extension with its status and the addresses of its functions; needs
    only the catalog, so it answers even where no runtime is open."""
    rows = []
    for record in catalog.records:
        row = record.to_dict()
        row["functions"] = [c.address for c in catalog.registry.of_extension(record.name)]
        rows.append(row)
    return rows


def describe_extension(catalog: Catalog, name: str) -> dict[str, Any]:
    """One extension with its runners and each function's schema, from the registry."""
    record = catalog.record(name)
    view = record.to_dict()
    view["description"] = record.extension.description if record.extension else None
    functions = [c.describe() for c in catalog.registry.of_extension(name)]
    view["functions"] = functions
    view["runners"] = sorted({f["runner"] for f in functions})
    return view


def describe_runners(catalog: Catalog, name: str) -> list[dict[str, Any]]:
    """The runners of a loaded extension, each with its functions' descriptions."""
    catalog.record(name)
    runners: dict[str, list[dict[str, Any]]] = {}
    for cap in catalog.registry.of_extension(name):
        runners.setdefault(cap.runner, []).append(cap.describe())
    return [{"runner": r, "functions": fs} for r, fs in sorted(runners.items())]
