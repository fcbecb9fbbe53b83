"""A fake Backend over a registry built here: legion-mcp is tested without legionio."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from legion.core.errors import NotFoundError
from legion.core.extensions.capability import capability
from legion.core.extensions.extension import Extension
from legion.core.registry import CapabilityRegistry

GATES: dict[str, threading.Event] = {}


class Echo:
    """A runner for the tests."""

    def echo(self, text: str, times: int = 1) -> dict[str, Any]:
        """Say `text` back, `times` times."""
        return {"text": text * times}

    def slow(self, key: str) -> dict[str, Any]:
        """Finish when the test opens the gate `key`."""
        GATES[key].wait(30)
        return {"opened": key}

    def fail(self) -> None:
        """Always raise."""
        raise RuntimeError("it broke")

    @capability(mcp_exposed=False)
    def hidden(self) -> None:
        """Not a tool."""


class Clock:
    def tick(self) -> dict[str, Any]:
        """Tick once."""
        return {"tick": 1}


ECHO = Extension(name="echo", version="1.0", runners=[Echo], description="Echoes.")
CLOCK = Extension(name="clock", version="1.0", runners=[Clock], description="Ticks.")


class FakeBackend:
    """Runs tasks on threads, keeps them in a dict, records every other operation."""

    def __init__(self) -> None:
        self._registry = CapabilityRegistry()
        self._registry.add(ECHO)
        self._registry.add(CLOCK)
        self.tasks: dict[str, dict[str, Any]] = {}
        self.done: dict[str, threading.Event] = {}
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def registry(self) -> CapabilityRegistry:
        return self._registry

    def call(self, op: str, params: dict[str, Any]) -> Any:
        self.calls.append((op, params))
        handler = getattr(self, "op_" + op.replace(".", "_"), None)
        if handler is None:
            return {"op": op, "params": params}
        return handler(**params)

    def op_task_run(
        self, function: str, args: dict[str, Any], wait: bool = False, timeout: float = 60.0
    ) -> dict[str, Any]:
        cap = self._registry.get(function)
        task_id = f"{len(self.tasks) + 1:032x}"
        view: dict[str, Any] = {"task_id": task_id, "status": "running"}
        view.update(result=None, error=None)
        self.tasks[task_id] = view
        done = self.done[task_id] = threading.Event()

        def work() -> None:
            try:
                view["result"] = cap.call(args)
                view["status"] = "completed"
            except Exception as exc:
                view["status"] = "exception"
                view["error"] = {"type": type(exc).__name__, "message": str(exc)}
            done.set()

        threading.Thread(target=work, daemon=True).start()
        if wait:
            done.wait(timeout)
        return dict(view)

    def op_task_wait(self, task_id: str, timeout: float) -> dict[str, Any]:
        self.done[task_id].wait(timeout)
        return dict(self.tasks[task_id])

    def op_task_show(self, task_id: str) -> dict[str, Any]:
        if task_id not in self.tasks:
            raise NotFoundError(f"no task with id {task_id}")
        return {**self.tasks[task_id], "log": []}

    def op_extension_disable(self, name: str) -> dict[str, Any]:
        self._registry.remove(name)
        return {"name": name, "status": "disabled"}

    def op_extension_enable(self, name: str) -> dict[str, Any]:
        if name not in self._registry.extensions:
            self._registry.add({"echo": ECHO, "clock": CLOCK}[name])
        return {"name": name, "status": "loaded"}


@pytest.fixture
def backend() -> Iterator[FakeBackend]:
    yield FakeBackend()
    for gate in GATES.values():
        gate.set()
    GATES.clear()


@pytest.fixture
def gates() -> dict[str, threading.Event]:
    """Events the `slow` function waits on; every gate opens when the test ends."""
    return GATES
