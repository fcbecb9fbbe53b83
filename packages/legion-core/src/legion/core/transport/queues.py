"""Queue names: one durable queue per runner, `<prefix>.<extension>.runners.<runner>`.

Workers consume the queues of the runners they serve, so a role profile that loads only some
extensions makes a worker take only their tasks. Each queue has `.DQ` (delayed) and `.XQ`
(dead letters) beside it.
"""

from __future__ import annotations

from collections.abc import Iterable

from legion.core.errors import UsageError


def queue_for(function: str, prefix: str = "lex") -> str:
    """The queue of the runner that holds `function` (an `ext.runner.fn` address)."""
    parts = function.split(".")
    if len(parts) != 3 or not all(parts):
        raise UsageError(f"{function!r} is not an extension.runner.function address")
    return f"{prefix}.{parts[0]}.runners.{parts[1]}"


def queues_for(functions: Iterable[str], prefix: str = "lex") -> set[str]:
    """The queues a worker serving `functions` consumes."""
    return {queue_for(f, prefix) for f in functions}
