"""Who is calling: a principal id (`key:<id>`, `user:<sub>`) and the roles its credential
carries."""

from __future__ import annotations

from dataclasses import dataclass

LOCAL_USER = "user:local"
ANONYMOUS = "anonymous"


@dataclass(frozen=True)
class Principal:
    """An authenticated caller; `roles` come with the credential, policies may add more."""

    id: str
    roles: tuple[str, ...] = ()
    tenant: str | None = None
    via: str = "none"  # api_key | jwt | loopback_open | local


def key_principal(key_id: str, role: str) -> Principal:
    return Principal(f"key:{key_id}", (role,), via="api_key")


def user_principal(subject: str, roles: tuple[str, ...], tenant: str | None) -> Principal:
    return Principal(f"user:{subject}", roles, tenant=tenant, via="jwt")


def local_principal(via: str = "loopback_open") -> Principal:
    """The local user, trusted on an open loopback and on MCP stdio; admin unless a policy
    assigns `user:local` other roles (see `RbacGuard.decide`)."""
    return Principal(LOCAL_USER, (), via=via)
