"""legionio: the engine's daemon, REST API and the `legion` / `legionio` command lines.

Import-light: the CLI imports this package on every start-up.
"""

from legion.app._version import __version__

__all__ = ["__version__"]
