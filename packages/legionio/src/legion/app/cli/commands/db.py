"""`db upgrade|status`: the store's schema migrations."""

from __future__ import annotations

import click

from legion.app.cli.options import common_options, state
from legion.app.cli.output import emit


@click.group()
@common_options
def db() -> None:
    """The store's schema: see its version, apply migrations."""


@db.command()
@common_options
def status() -> None:
    """The schema version of the database and the version this Legion needs."""
    from legion.core.settings.redact import redact_url
    from legion.core.store import migrate
    from legion.core.store.database import database_url, open_database

    settings = state().settings()
    engine = open_database(settings)
    current = migrate.schema_state(engine)
    data = {
        "url": redact_url(database_url(settings)),
        "current": current.current,
        "head": current.head,
        "up_to_date": current.up_to_date,
    }
    engine.dispose()
    emit(
        data,
        lambda out: out.print(
            f"{data['url']}: schema {data['current'] or '(empty)'}, needs {data['head']} — "
            + ("up to date" if data["up_to_date"] else "run `legionio db upgrade`")
        ),
    )


@db.command()
@common_options
def upgrade() -> None:
    """Apply every pending migration (back the database up first)."""
    from legion.core.settings.redact import redact_url
    from legion.core.store import migrate
    from legion.core.store.database import database_url, open_database

    settings = state().settings()
    engine = open_database(settings)
    before = migrate.schema_state(engine).current
    after = migrate.upgrade(engine)
    engine.dispose()
    data = {"url": redact_url(database_url(settings)), "from": before, "to": after.current}
    emit(
        data,
        lambda out: out.print(f"{data['url']}: schema {before or '(empty)'} → {after.current}"),
    )
