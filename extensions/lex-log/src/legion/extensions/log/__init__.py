"""lex-log: write a message to the node's log, so chains can leave a trace where operators look."""

from legion.core.sdk import Extension
from legion.extensions.log._version import __version__
from legion.extensions.log.runners import message

extension = Extension(
    name="log",
    version=__version__,
    description="Writes a message, with structured fields, to the node's log at a chosen level.",
    runners=[message],
)

__all__ = ["__version__", "extension"]
