"""`/metrics`: the engine's Prometheus metrics (tasks by status, queue latency, run time), open
to scrapers like health is; off unless `telemetry.metrics` (default: on in full mode)."""

from __future__ import annotations

from litestar import Response, get

from legion.app.api.deps import Ops
from legion.core.errors import NotFoundError

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@get("/metrics", opt={"public": True}, include_in_schema=False, sync_to_thread=False)
def metrics(ops: Ops) -> Response[bytes]:
    """The text exposition format of this node's engine metrics."""
    observer = ops.runtime.engine.observer
    if observer is None:
        raise NotFoundError(
            "metrics are off on this node",
            hint="set telemetry.metrics: true (it is on by default in full mode) and restart",
        )
    return Response(observer.metrics.render(), media_type=CONTENT_TYPE)


HANDLERS = [metrics]
