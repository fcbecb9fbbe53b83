"""lex-scheduler: cron and interval schedules that submit functions as tasks.

The tick runs every second on exactly one node: the actor is a singleton behind a lock, on by
default; `lex.scheduler.leader_lock: false` turns the lock off for a single-node setup. Each
due run is also claimed atomically in the database, so even two ticking nodes dispatch it once.
"""

from legion.core.sdk import Extension, every
from legion.extensions.scheduler._version import __version__
from legion.extensions.scheduler.runners import schedule

DEFAULTS = {"leader_lock": True, "timezone": "UTC"}

extension = Extension(
    name="scheduler",
    version=__version__,
    description="Cron and interval schedules with an optional payload and transformation.",
    runners=[schedule],
    actors=[every("schedule.tick", seconds=1, singleton=True, record=False)],
    settings=DEFAULTS,
)

__all__ = ["DEFAULTS", "__version__", "extension"]
