"""legion-core: settings, logging, the extension SDK and the capability registry.

Kept import-light on purpose: the CLI imports this on every start-up.
"""

from legion.core._version import __version__

__all__ = ["__version__"]
