"""The ASGI middleware every API route runs behind: rate limit, authenticate, authorize, audit.

Order: the IP limit first (so floods of bad credentials are bounded), public routes end
there; then the credential, the principal/tenant limits, RBAC, the route, and the audit
record (mutating calls and every denial).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

from litestar.types import ASGIApp, Message, Receive, Scope, Send

from legion.app.security.audit import MUTATING, AuditLog
from legion.app.security.authenticate import Authenticator, AuthError
from legion.app.security.principals import ANONYMOUS, Principal
from legion.app.security.rate_limits import RateLimits, Verdict
from legion.app.security.rbac import RbacGuard
from legion.app.security.resources import RouteSpecError, is_public, resource_and_action
from legion.app.security.responses import send_failure
from legion.core.logging import logger
from legion.core.store.audit import AuditEntry
from legion.rbac import Decision, RequestError

REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


@dataclass
class SecurityLayer:
    """Everything the middleware needs, built once per app by `build_security`."""

    authenticator: Authenticator
    guard: RbacGuard
    limits: RateLimits | None
    audit: AuditLog


def came_over_unix_socket(scope: Scope) -> bool:
    """The daemon's 0600 control socket: its route checks the per-start token itself."""
    server = scope.get("server")
    return server is None or (isinstance(server, list | tuple) and server[1] is None)


_WANTED = {b"x-api-key": "x-api-key", b"authorization": "authorization"}
_REQUEST_ID = b"x-request-id"
_NO_OPT: dict[str, Any] = {}


def _headers(scope: Scope) -> tuple[dict[str, str], str]:
    """The credential headers (the last of each wins) and the client's request id, decoded;
    the other headers are not looked at."""
    found: dict[str, str] = {}
    request_id = ""
    for raw_name, value in scope.get("headers", ()):
        name = raw_name.lower()
        wanted = _WANTED.get(name)
        if wanted is not None:
            found[wanted] = value.decode("latin-1")
        elif name == _REQUEST_ID:
            request_id = value.decode("latin-1")
    return found, request_id


def _rule_text(decision: Decision) -> str | None:
    return decision.rule.describe() if decision.rule is not None else None


class SecurityMiddleware:
    """One instance per route stack (litestar builds middleware per route)."""

    def __init__(self, app: ASGIApp, layer: SecurityLayer) -> None:
        self.app = app
        self.layer = layer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if str(scope["type"]) != "http" or came_over_unix_socket(scope):
            await self.app(scope, receive, send)
            return
        await Request(self, scope, receive, send).run()


class Request:
    """The security steps for one request."""

    def __init__(self, mw: SecurityMiddleware, scope: Scope, receive: Receive, send: Send) -> None:
        self.mw, self.layer, self.scope, self.receive, self.send = (
            mw,
            mw.layer,
            scope,
            receive,
            send,
        )
        self.headers, given = _headers(scope)
        self.request_id = given if given and REQUEST_ID.match(given) else os.urandom(16).hex()
        self.method = str(scope.get("method", "GET")).upper()
        self.path = str(scope.get("path", "/"))
        self.verdict: Verdict | None = None  # the rate-limit headers come from the latest one

    async def run(self) -> None:
        verdict = self._ip_limit()
        if verdict is not None and not verdict.allowed:
            await self._too_many(verdict)
            return
        handler = self.scope.get("route_handler")
        opt: dict[str, Any] = getattr(handler, "opt", None) or _NO_OPT
        if is_public(opt):
            await self._call()
            return
        try:
            principal = await self.layer.authenticator.authenticate(self.headers)
        except AuthError as exc:
            await self._deny(401, "unauthorized", str(exc), ANONYMOUS, None, None)
            return
        if verdict is not None and self.layer.limits is not None:
            verdict = self.verdict = self.layer.limits.hit_principal(principal, verdict)
            if not verdict.allowed:
                await self._too_many(verdict, principal)
                return
        try:
            params = dict(self.scope.get("path_params") or {})
            resource, action = resource_and_action(opt, params, self.method, self.path)
            decision = self.layer.guard.decide(principal, resource, action)
        except (RouteSpecError, RequestError) as exc:
            logger.error("cannot authorize {} {}: {}", self.method, self.path, exc)
            await send_failure(self.send, 500, "internal", "cannot authorize this route")
            return
        if not decision.allowed:
            details = {
                "principal": principal.id,
                "resource": decision.resource,
                "action": decision.action,
                "reason": decision.reason,
                "rule": decision.rule.to_dict() if decision.rule is not None else None,
            }
            message = f"{principal.id} may not {decision.action} {decision.resource}"
            await self._deny(403, "forbidden", message, principal.id, decision, details)
            return
        status = await self._call()
        if self.method in MUTATING:
            await self._record(principal.id, decision, "allow", status, decision.reason)

    def _ip_limit(self) -> Verdict | None:
        limits = self.layer.limits
        if limits is None or not limits.enabled:
            return None
        client = self.scope.get("client")
        ip = str(client[0]) if client else "unknown"
        self.verdict = limits.hit_ip(ip)
        return self.verdict

    def _extra(self) -> list[tuple[bytes, bytes]]:
        """The headers this layer adds: the request id and the latest rate-limit verdict's."""
        extra = [(b"x-request-id", self.request_id.encode())]
        if self.verdict is not None:
            extra.extend(self.verdict.headers())
        return extra

    async def _too_many(self, verdict: Verdict, principal: Principal | None = None) -> None:
        who = principal.id if principal else "client"
        logger.warning("rate limit: {} {} refused for {}", self.method, self.path, who)
        await send_failure(
            self.send,
            429,
            "rate_limited",
            f"too many requests; retry in {max(1, round(verdict.retry_after))}s",
            {"limit": verdict.limit, "retry_after": verdict.retry_after},
            headers=self._extra(),
        )

    async def _deny(
        self,
        status: int,
        code: str,
        message: str,
        principal: str,
        decision: Decision | None,
        details: Any,
    ) -> None:
        headers = self._extra()
        await send_failure(self.send, status, code, message, details, headers=headers)
        reason = decision.reason if decision is not None else message
        await self._record(principal, decision, "deny", status, reason)

    async def _record(
        self,
        principal: str,
        decision: Decision | None,
        outcome: str,
        status: int,
        reason: str | None,
    ) -> None:
        entry = AuditEntry(
            request_id=self.request_id,
            principal=principal,
            method=self.method,
            path=self.path,
            decision=outcome,
            resource=decision.resource if decision is not None else None,
            action=decision.action if decision is not None else None,
            rule=_rule_text(decision) if decision is not None else None,
            status=status,
            reason=reason,
        )
        await self.layer.audit.arecord(entry)

    async def _call(self) -> int:
        status = 500
        extra = self._extra()
        send = self.send

        async def wrapped(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = list(message.get("headers") or ())
                have = {k.lower() for k, _ in headers}
                headers.extend((k, v) for k, v in extra if k not in have)
                message = {**message, "headers": headers}
            await send(message)

        await self.mw.app(self.scope, self.receive, wrapped)
        return status
