"""The REST API's and MCP server's security layer: authentication (API keys, HS256 tokens),
RBAC through legion-rbac, sliding-window rate limits and the hash-chained audit log."""

from legion.app.security.build import build_security

__all__ = ["build_security"]
