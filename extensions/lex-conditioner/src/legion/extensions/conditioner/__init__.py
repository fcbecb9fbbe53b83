"""lex-conditioner: the conditions that gate chains, callable as tasks to test and debug rules."""

from legion.core.sdk import Extension
from legion.extensions.conditioner._version import __version__
from legion.extensions.conditioner.runners import rules

extension = Extension(
    name="conditioner",
    version=__version__,
    description="Evaluates, explains and validates condition rules against a payload.",
    runners=[rules],
)

__all__ = ["__version__", "extension"]
