"""lex-ping: the smallest useful extension — proves a node answers and shows the SDK's shape."""

from legion.core.sdk import Extension
from legion.extensions.ping._version import __version__
from legion.extensions.ping.runners import ping

extension = Extension(
    name="ping",
    version=__version__,
    description="Answers pong with a timestamp; a liveness check for nodes and chains.",
    runners=[ping],
    settings={"reply": "pong"},
)

__all__ = ["__version__", "extension"]
