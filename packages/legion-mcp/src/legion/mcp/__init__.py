"""legion-mcp: the MCP server over the capability registry.

`legion.mcp.server.build_server(backend, guard=..., options=...)` builds it; legionio supplies
the backend (in-process or the daemon) and the `legion mcp` commands. See docs/mcp.md.
"""

from legion.mcp._version import __version__

__all__ = ["__version__"]
