"""The full-mode outbox: messages for an unreachable broker are spooled to disk, in order, and
replayed oldest first on reconnect, at least once and none skipped.

`open_spool(settings, name)` opens one; `append` stores a `SpoolMessage` (raising `SpoolFull`
rather than dropping it), `replay(publish)` sends what is pending, `drain_in_background` does so
whenever the broker is connected, `stats()` says how much waits.
"""

from legion.core.spool.drain import BackgroundDrain
from legion.core.spool.errors import SpoolBusy, SpoolClosed, SpoolError, SpoolFull
from legion.core.spool.factory import open_spool, spool_dir
from legion.core.spool.progress import replay_progress
from legion.core.spool.record import SpoolMessage, SpoolRecord
from legion.core.spool.replay import Progress, Publish, ReplayResult
from legion.core.spool.spool import FsyncPolicy, Spool, SpoolStats

__all__ = [
    "BackgroundDrain",
    "FsyncPolicy",
    "Progress",
    "Publish",
    "ReplayResult",
    "Spool",
    "SpoolBusy",
    "SpoolClosed",
    "SpoolError",
    "SpoolFull",
    "SpoolMessage",
    "SpoolRecord",
    "SpoolStats",
    "open_spool",
    "replay_progress",
    "spool_dir",
]
