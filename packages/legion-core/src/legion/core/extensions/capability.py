"""Per-function options an extension author may set with the `@capability` decorator."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

ATTRIBUTE = "__legion_capability__"


@dataclass(frozen=True)
class CapabilityOptions:
    """How a function may be invoked; the engine reads timeout/retries, the API and MCP the rest."""

    remote_invocable: bool = True
    mcp_exposed: bool = True
    idempotent: bool = False
    timeout: float | None = None
    retries: int | None = None
    description: str | None = None
    tags: tuple[str, ...] = field(default_factory=tuple)


def capability(
    *,
    remote_invocable: bool = True,
    mcp_exposed: bool = True,
    idempotent: bool = False,
    timeout: float | None = None,
    retries: int | None = None,
    description: str | None = None,
    tags: tuple[str, ...] = (),
) -> Callable[[F], F]:
    """Attach options to a runner function; undecorated functions get the defaults."""
    if timeout is not None and timeout <= 0:
        raise ValueError("timeout must be > 0 seconds")
    if retries is not None and retries < 0:
        raise ValueError("retries must be >= 0")
    options = CapabilityOptions(
        remote_invocable, mcp_exposed, idempotent, timeout, retries, description, tuple(tags)
    )

    def mark(func: F) -> F:
        setattr(func, ATTRIBUTE, options)
        return func

    return mark


def options_of(func: Callable[..., Any]) -> CapabilityOptions:
    found = getattr(func, ATTRIBUTE, None)
    return found if isinstance(found, CapabilityOptions) else CapabilityOptions()
