"""Schema migrations: `legionio db upgrade`, and the check every start makes.

The head revision is a constant so a start can compare versions without importing alembic.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, inspect, text

from legion.core.store.schema_lock import schema_lock

HEAD = "0003"
MIGRATIONS = Path(__file__).parent / "migrations"


@dataclass(frozen=True)
class SchemaState:
    current: str | None
    head: str

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
        return str(row[0]) if row else None


def schema_state(engine: Engine) -> SchemaState:
    return SchemaState(current_revision(engine), HEAD)


def _config(engine: Engine):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(engine: Engine, revision: str = "head") -> SchemaState:
    """Apply every pending migration, one migrator per schema at a time (alembic reads the
    current revision only once it holds the lock, so a node that waited finds nothing to do)."""
    from alembic import command

    config = _config(engine)
    with engine.connect() as conn, schema_lock(conn), conn.begin():
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
    return schema_state(engine)


def revision(engine: Engine, message: str) -> None:
    """Autogenerate a new migration from the models (a developer command)."""
    from alembic import command

    config = _config(engine)
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.revision(config, message=message, autogenerate=True, rev_id=None)
