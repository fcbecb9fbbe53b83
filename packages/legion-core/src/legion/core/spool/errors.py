"""What can go wrong with a spool that its caller has to decide about."""

from __future__ import annotations

from legion.core.errors import LegionError


class SpoolError(LegionError):
    """Base of the spool's errors."""

    code = "spool_error"


class SpoolFull(SpoolError):
    """The spool reached `max_total_bytes`: the record was NOT stored.

    Nothing is ever dropped silently; the caller chooses to wait, fail the publish or shed load.
    """

    code = "spool_full"


class SpoolBusy(SpoolError):
    """Another process (or another `Spool` object) has this spool directory open."""

    code = "spool_busy"


class SpoolClosed(SpoolError):
    """The spool was closed; open it again to use it."""

    code = "spool_closed"
