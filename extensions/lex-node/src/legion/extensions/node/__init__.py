"""lex-node: heartbeats, so every node of a Legion can see which nodes exist and which are alive."""

from legion.core.sdk import Extension, every
from legion.extensions.node._version import __version__
from legion.extensions.node.config import DEFAULTS, INTERVAL
from legion.extensions.node.runners import heartbeat, registry

extension = Extension(
    name="node",
    version=__version__,
    description="Records this node's heartbeat in the nodes table and lists the known nodes.",
    runners=[heartbeat, registry],
    actors=[every("heartbeat.beat", seconds=INTERVAL, run_now=True, record=False)],
    settings=DEFAULTS,
)

__all__ = ["__version__", "extension"]
