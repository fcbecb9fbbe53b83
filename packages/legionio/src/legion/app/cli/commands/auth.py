"""`legion auth key create|list|revoke`, `legion auth token` and `legion auth keypair`:
credentials of the REST API.

A key or token is printed once; the store keeps only a key's SHA-256 and tokens are not
stored at all (they are HS256-signed with a key derived from the cluster secret, or RS256 /
EdDSA-signed with a private key whose public half is in `api.auth.public_keys`).
"""

from __future__ import annotations

import os
from pathlib import Path
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


def _private_key(path: Path, passphrase_env: str | None) -> Any:
    """The signing key in `path`; an encrypted one takes its passphrase from the environment
    variable named by --passphrase-env, else asks for it (hidden)."""
    from legion.app.security.asymmetric_keys import PasswordNeeded, load_private_key

    try:
        return load_private_key(path)
    except PasswordNeeded:
        pass
    if passphrase_env is not None:
        passphrase = os.environ.get(passphrase_env)
        if passphrase is None:
            raise UsageError(f"{path} is encrypted and ${passphrase_env} is not set")
    else:
        passphrase = click.prompt(f"passphrase of {path}", hide_input=True, err=True)
    try:
        return load_private_key(path, passphrase.encode())
    except PasswordNeeded as exc:
        raise UsageError(f"cannot open {path}: {exc}") from None


@auth.command()
@click.option("--subject", required=True, help="Who the token is for: the principal user:<S>.")
@click.option("--role", "roles", multiple=True, required=True, help="A role (repeatable).")
@click.option("--ttl", type=click.IntRange(1), default=3600, show_default=True, help="Seconds.")
@click.option("--tenant", default=None, help="A tenant claim (rate-limited per tenant).")
@click.option(
    "--private-key",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Sign with this RSA (RS256) or Ed25519 (EdDSA) private key PEM instead of HS256.",
)
@click.option("--kid", default=None, help="A `kid` header naming the verifying public key.")
@click.option(
    "--passphrase-env",
    default=None,
    metavar="VAR",
    help="Read an encrypted --private-key's passphrase from this environment variable.",
)
@common_options
def token(
    subject: str,
    roles: tuple[str, ...],
    ttl: int,
    tenant: str | None,
    private_key: Path | None,
    kid: str | None,
    passphrase_env: str | None,
) -> None:
    """Mint a bearer token: HS256 under a key derived from the cluster secret, or RS256/EdDSA
    with --private-key (the algorithm follows the key type)."""
    from pydantic import ValidationError

    from legion.app.security.asymmetric_keys import signing_algorithm
    from legion.app.security.jwt_tokens import mint
    from legion.app.security.signing_key import token_keys

    settings = state().settings()
    if ttl > settings.api.auth.max_token_ttl:
        raise UsageError(
            f"--ttl {ttl} exceeds api.auth.max_token_ttl ({settings.api.auth.max_token_ttl}s)"
        )
    if kid is not None and not 1 <= len(kid) <= 100:
        raise UsageError("--kid must be 1 to 100 characters")
    _check_roles(settings, list(roles))
    if private_key is not None:
        key = _private_key(private_key, passphrase_env)
    else:
        key = token_keys(settings)[0]
    algorithm = signing_algorithm(key)
    try:
        secret, claims = mint(
            key,
            subject=subject,
            roles=list(roles),
            ttl=ttl,
            issuer=settings.api.auth.issuer,
            tenant=tenant,
            kid=kid,
        )
    except ValidationError as exc:
        fields = ", ".join(str(e["loc"][0]) for e in exc.errors() if e["loc"])
        raise UsageError(f"invalid token claims: {fields}", hint="no spaces in --subject") from None
    data: dict[str, Any] = {
        "token": secret,
        "principal": f"user:{subject}",
        "algorithm": algorithm,
        "kid": kid,
        **claims.model_dump(),
    }

    def human(out: Console) -> None:
        out.print(
            f"{algorithm} token for user:{subject} (roles {', '.join(roles)}, expires in {ttl}s):"
        )
        out.print(secret)
        out.print("[dim]clients send it as `Authorization: Bearer <token>`[/]")

    emit(data, human)


@auth.command()
@click.option(
    "--type", "kind", type=click.Choice(["rsa", "ed25519"]), required=True, help="Key type."
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Directory for <name>.pem (private, 0600) and <name>.pub.pem (public).",
)
@click.option("--name", default=None, help="File name stem [default: legion-<type>].")
@click.option(
    "--bits",
    type=click.Choice(["2048", "3072", "4096"]),
    default="3072",
    show_default=True,
    help="RSA key size.",
)
@common_options
def keypair(kind: str, out: Path, name: str | None, bits: str) -> None:
    """Write a new RSA or Ed25519 key pair for RS256/EdDSA tokens (never overwrites).

    The private key (unencrypted PKCS#8, mode 0600) signs with `legion auth token
    --private-key`; nodes verify with the public one listed in `api.auth.public_keys`.
    """
    import re

    from legion.app.security.asymmetric_keys import generate, write_new

    stem = name or f"legion-{kind}"
    if not re.fullmatch(r"[A-Za-z0-9._-]{1,100}", stem) or stem.startswith("."):
        raise UsageError("--name must be 1 to 100 letters, digits, '.', '_' or '-'")
    private_path, public_path = out / f"{stem}.pem", out / f"{stem}.pub.pem"
    for path in (private_path, public_path):
        if path.exists():
            raise UsageError(f"{path} exists; not overwriting it", hint="pick another --name")
    out.mkdir(parents=True, exist_ok=True, mode=0o700)
    private_pem, public_pem = generate("rsa" if kind == "rsa" else "ed25519", int(bits))
    write_new(private_path, private_pem, 0o600)
    write_new(public_path, public_pem, 0o644)
    algorithm = "RS256" if kind == "rsa" else "EdDSA"
    data = {
        "type": kind,
        "algorithm": algorithm,
        "private_key": str(private_path.resolve()),
        "public_key": str(public_path.resolve()),
    }

    def human(console: Console) -> None:
        console.print(f"{kind} key pair ({algorithm} tokens):")
        console.print(f"  private key (mode 0600, keep it secret): {data['private_key']}")
        console.print(f"  public key: {data['public_key']}")
        console.print(
            f'[dim]nodes verify with api.auth.public_keys = ["{data["public_key"]}"]; '
            f"mint with `legion auth token --private-key {data['private_key']} ...`[/]"
        )

    emit(data, human)
