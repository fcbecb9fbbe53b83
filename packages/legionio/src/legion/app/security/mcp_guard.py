"""legion-mcp's Guard over legion-rbac: tool calls are RBAC-checked and written to the audit log.

MCP names its callers `local:<transport>` (stdio, or HTTP on an open loopback) and
`token:<digest prefix>` (a bearer token). The local caller is the local user `user:local`
(admin unless a policy assigns it roles); a token principal gets the roles policies assign
it, and `supervisor` (every tool, no RBAC or settings changes) when none are assigned.
"""

from __future__ import annotations

import uuid

from sqlalchemy import Engine

from legion.app.security.audit import AuditLog
from legion.app.security.principals import Principal, local_principal
from legion.app.security.rbac import RbacGuard, build_engine
from legion.core.settings import Settings
from legion.core.store.audit import AuditEntry
from legion.mcp.guard import AuditRecord
from legion.rbac import Decision

TOKEN_DEFAULT_ROLES = ("supervisor",)


class RbacMcpGuard:
    """Implements legion-mcp's `Guard` protocol (`check`, `audit`); neither ever raises."""

    def __init__(self, guard: RbacGuard, audit: AuditLog | None) -> None:
        self.guard = guard
        self.audit_log = audit

    def principal(self, mcp_principal: str) -> Principal:
        if mcp_principal.startswith("local:"):
            return local_principal(via=mcp_principal)
        carried = () if self.guard.engine.roles_of(mcp_principal) else TOKEN_DEFAULT_ROLES
        return Principal(mcp_principal, carried, via="mcp_token")

    def decision(self, principal: str, resource: str, action: str) -> Decision:
        return self.guard.decide(self.principal(principal), resource, action)

    def check(self, principal: str, resource: str, action: str) -> tuple[bool, str | None]:
        d = self.decision(principal, resource, action)
        return d.allowed, None if d.allowed else d.reason

    def audit(self, record: AuditRecord) -> None:
        if self.audit_log is None:
            return
        d = self.decision(record.principal, record.resource, record.action)
        denied = record.outcome == "denied"
        self.audit_log.record(
            AuditEntry(
                request_id=uuid.uuid4().hex,
                principal=self.principal(record.principal).id,
                method="MCP",
                path=record.resource,
                decision="deny" if denied else "allow",
                resource=d.resource,
                action=d.action,
                rule=d.rule.describe() if d.rule is not None else None,
                status=None,
                reason=record.reason if denied else f"tool call {record.outcome}",
            )
        )


def build_mcp_guard(settings: Settings, db: Engine | None) -> RbacMcpGuard:
    """The guard `legion mcp` plugs in: policies from settings, the audit log in the store."""
    audit = AuditLog(db) if db is not None else None
    return RbacMcpGuard(RbacGuard(build_engine(settings)), audit)
