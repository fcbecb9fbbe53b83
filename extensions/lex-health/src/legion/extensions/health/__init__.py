"""lex-health: one answer to "is this node well?", built from checks an operator can act on."""

from legion.core.sdk import Extension
from legion.extensions.health._version import __version__
from legion.extensions.health.config import DEFAULTS
from legion.extensions.health.runners import check

extension = Extension(
    name="health",
    version=__version__,
    description="Node health (database, workers, task writer, disk, extensions) and liveness.",
    runners=[check],
    settings=DEFAULTS,
)

__all__ = ["__version__", "extension"]
