"""lex-exec: run allow-listed commands on this node, as an argv list, never through a shell."""

from legion.core.sdk import Extension
from legion.extensions.exec._version import __version__
from legion.extensions.exec.config import DEFAULTS
from legion.extensions.exec.runners import command

extension = Extension(
    name="exec",
    version=__version__,
    description="Runs allow-listed commands locally with a timeout and capped output.",
    runners=[command],
    settings=DEFAULTS,
)

__all__ = ["__version__", "extension"]
