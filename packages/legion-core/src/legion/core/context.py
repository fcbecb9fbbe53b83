"""What a runner function can ask for by declaring a parameter annotated `Context`.

The parameter is left out of the function's input schema and filled in by the engine, so
extensions reach settings, the engine and the stores without globals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from legion.core.runtime import Runtime


@dataclass(frozen=True)
class Context:
    """Handed to a runner function that declares `ctx: Context`."""

    extension: str
    settings: dict[str, Any] = field(default_factory=dict)  # the extension's own settings
    runtime: Runtime | None = None  # None when invoked outside a node (e.g. a unit test)
    task_id: str | None = None

    def require_runtime(self) -> Runtime:
        from legion.core.errors import UsageError

        if self.runtime is None:
            raise UsageError(f"{self.extension}: this function needs a running Legion node")
        return self.runtime
