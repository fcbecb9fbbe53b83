"""Who is asking and how: the principal from the key headers, routing hints from `x-legion-*`
headers, and the conversation a request belongs to (for curation and the ledger)."""

from __future__ import annotations

from collections.abc import Mapping

from legion.llm.canonical import ChatRequest, RouteHints
from legion.llm.errors import ErrorKind, GatewayError
from legion.llm.gateway import Gateway, RequestContext

EFFORTS = ("low", "moderate", "high", "reasoning")
SWITCH = {"on": True, "off": False, "true": True, "false": False, "1": True, "0": False}


def request_context(
    gateway: Gateway, headers: Mapping[str, str], dialect: str, request_type: str
) -> RequestContext:
    principal = gateway.authenticate(headers.get("authorization"), headers.get("x-api-key"))
    return RequestContext(dialect=dialect, request_type=request_type, principal=principal)


def apply_headers(headers: Mapping[str, str], chat: ChatRequest, ctx: RequestContext) -> None:
    """Header hints override body hints; the conversation id comes from a header or the body."""
    hints: RouteHints = chat.hints
    if provider := headers.get("x-legion-provider"):
        hints.provider = provider
    if tier := headers.get("x-legion-tier"):
        hints.tier = tier
    if effort := headers.get("x-legion-effort"):
        if effort not in EFFORTS:
            raise GatewayError(
                ErrorKind.INVALID_REQUEST,
                f"x-legion-effort must be one of {', '.join(EFFORTS)}, not {effort!r}",
                param="x-legion-effort",
            )
        hints.effort = effort  # type: ignore[assignment]
    if headers.get("x-legion-privacy", "").lower() in ("strict", "on", "true", "1"):
        hints.privacy = True
    curation = headers.get("x-legion-curation", "").lower()
    if curation:
        if curation not in SWITCH:
            raise GatewayError(
                ErrorKind.INVALID_REQUEST,
                f"x-legion-curation must be on or off, not {curation!r}",
                param="x-legion-curation",
            )
        ctx.curation = SWITCH[curation]
    conversation = headers.get("x-legion-conversation-id")
    if not conversation:
        value = chat.metadata.get("conversation_id")
        conversation = value if isinstance(value, str) else None
    ctx.conversation_id = conversation or chat.user
