"""`legion auth key create|list|revoke` and `legion auth token`: credentials of the REST API.

A key or token is printed once; the store keeps only a key's SHA-256 and tokens are not
stored at all (they are HS256-signed with a key derived from the cluster secret).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from legion.app.cli.options import common_options, state
from legion.app.cli.output import emit
from legion.core.errors import UsageError

if TYPE_CHECKING:
    from rich.console import Console

    from legion.core.settings import Settings


def _check_roles(settings: Settings, roles: list[str]) -> None:
    from legion.app.security.rbac import build_engine

    engine = build_engine(settings)
    known = sorted(r.name for r in engine.roles())
    for role in roles:
        if engine.role(role) is None:
            raise UsageError(
                f"unknown role {role!r}; known roles: {', '.join(known)}",
                hint="add roles with policy files listed in rbac.policies",
            )


@click.group()
@common_options
def auth() -> None:
    """API keys and bearer tokens for the REST API."""


@auth.group()
@common_options
def key() -> None:
    """API keys (`X-API-Key` header): create, list, revoke."""


@key.command()
@click.option("--name", required=True, help="What the key is for (shown in listings).")
@click.option("--role", required=True, help="The RBAC role the key carries (e.g. observer).")
@common_options
def create(name: str, role: str) -> None:
    """Create a key; it is printed once and only its SHA-256 is stored."""
    from legion.app.security.api_keys import create_key
    from legion.app.security.store_access import open_store
    from legion.core.store.api_keys import ApiKeyStore

    name = name.strip()
    if not 1 <= len(name) <= 200:
        raise UsageError("--name must be 1 to 200 characters")
    settings = state().settings()
    _check_roles(settings, [role])
    db = open_store(settings)
    try:
        record, secret = create_key(ApiKeyStore(db), name, role)
    finally:
        db.dispose()
    data = {**record.public(), "principal": f"key:{record.id}", "key": secret}

    def human(out: Console) -> None:
        out.print(f"API key {record.id} ({name}, role {role}), principal key:{record.id}")
        out.print(f"key (shown once, keep it secret): {secret}")
        out.print("[dim]clients send it as `X-API-Key: <key>`[/]")

    emit(data, human)


@key.command(name="list")
@click.option("--active", is_flag=True, help="Only keys that are not revoked.")
@common_options
def list_keys(active: bool) -> None:
    """The keys: id, name, role, when created and revoked (never the key)."""
    from legion.app.security.store_access import open_store
    from legion.core.store.api_keys import ApiKeyStore

    db = open_store(state().settings())
    try:
        rows = [r.public() for r in ApiKeyStore(db).list(include_revoked=not active)]
    finally:
        db.dispose()

    def human(out: Console) -> None:
        from legion.app.cli.output import table
        from legion.app.security.timefmt import iso

        shown = [
            [r["id"], r["name"], r["role"], iso(r["created_at"]), iso(r["revoked_at"]) or "-"]
            for r in rows
        ]
        out.print(table(["id", "name", "role", "created", "revoked"], shown))

    emit(rows, human)


@key.command()
@click.argument("key_id")
@common_options
def revoke(key_id: str) -> None:
    """Revoke a key by id; requests with it are refused from the next one on."""
    from legion.app.security.store_access import open_store
    from legion.core.store.api_keys import ApiKeyStore

    db = open_store(state().settings())
    try:
        record = ApiKeyStore(db).revoke(key_id)
    finally:
        db.dispose()
    data = record.public()
    emit(data, lambda out: out.print(f"revoked API key {record.id} ({record.name})"))


@auth.command()
@click.option("--subject", required=True, help="Who the token is for: the principal user:<S>.")
@click.option("--role", "roles", multiple=True, required=True, help="A role (repeatable).")
@click.option("--ttl", type=click.IntRange(1), default=3600, show_default=True, help="Seconds.")
@click.option("--tenant", default=None, help="A tenant claim (rate-limited per tenant).")
@common_options
def token(subject: str, roles: tuple[str, ...], ttl: int, tenant: str | None) -> None:
    """Mint an HS256 bearer token signed with a key derived from the cluster secret."""
    from pydantic import ValidationError

    from legion.app.security.jwt_tokens import mint
    from legion.app.security.signing_key import token_keys

    settings = state().settings()
    if ttl > settings.api.auth.max_token_ttl:
        raise UsageError(
            f"--ttl {ttl} exceeds api.auth.max_token_ttl ({settings.api.auth.max_token_ttl}s)"
        )
    _check_roles(settings, list(roles))
    try:
        secret, claims = mint(
            token_keys(settings)[0],
            subject=subject,
            roles=list(roles),
            ttl=ttl,
            issuer=settings.api.auth.issuer,
            tenant=tenant,
        )
    except ValidationError as exc:
        fields = ", ".join(str(e["loc"][0]) for e in exc.errors() if e["loc"])
        raise UsageError(f"invalid token claims: {fields}", hint="no spaces in --subject") from None
    data: dict[str, Any] = {"token": secret, "principal": f"user:{subject}", **claims.model_dump()}

    def human(out: Console) -> None:
        out.print(f"token for user:{subject} (roles {', '.join(roles)}, expires in {ttl}s):")
        out.print(secret)
        out.print("[dim]clients send it as `Authorization: Bearer <token>`[/]")

    emit(data, human)
