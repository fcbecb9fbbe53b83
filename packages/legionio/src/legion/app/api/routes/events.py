"""`GET /api/v1/events`: task events as Server-Sent Events, live from the engine's bus."""

from __future__ import annotations

from typing import Annotated

from litestar import get
from litestar.params import QueryParameter
from litestar.response import ServerSentEvent

from legion.app.api.deps import Ops
from legion.app.api.events import EventStream
from legion.app.api.responses import errors

Pattern = Annotated[
    str,
    QueryParameter(
        pattern=r"^task(\.([A-Za-z0-9_]+|\*|#))*$",
        max_length=100,
        description="topic pattern under `task` (`*` one word, `#` any): task.#, task.completed",
    ),
]


@get(
    "/events",
    opt={"rbac": ("events", "read")},
    responses=errors(),
    media_type="text/event-stream",
)
async def task_events(ops: Ops, pattern: Pattern = "task.#") -> ServerSentEvent:
    """Each matching task event as it happens (`event:` is the routing key, `data:` JSON)."""
    stream = EventStream(ops.runtime.engine.bus, pattern)
    return ServerSentEvent(stream.messages())


HANDLERS = [task_events]
