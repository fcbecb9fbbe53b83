"""lex-tasker: task housekeeping, so the tasks table stays small and stale queued work ends."""

from legion.core.sdk import Extension, every
from legion.extensions.tasker._version import __version__
from legion.extensions.tasker.runners import housekeeping

PURGE_EVERY = 24 * 3600.0
"""Seconds between purges of old finished tasks (daily; also once at start-up)."""

EXPIRE_EVERY = 60.0
"""Seconds between sweeps that expire tasks queued for too long."""

REAP_EVERY = 60.0
"""Seconds between sweeps that queue again tasks left running by a worker that is gone."""

extension = Extension(
    name="tasker",
    version=__version__,
    description=(
        "Purges old finished tasks, expires tasks left queued for too long and queues again "
        "tasks left running by a worker that is gone."
    ),
    runners=[housekeeping],
    actors=[
        every("housekeeping.purge", seconds=PURGE_EVERY, run_now=True, singleton=True),
        every("housekeeping.expire", seconds=EXPIRE_EVERY, singleton=True),
        every("housekeeping.reap", seconds=REAP_EVERY, singleton=True),
    ],
)

__all__ = ["EXPIRE_EVERY", "PURGE_EVERY", "REAP_EVERY", "__version__", "extension"]
