"""The migrations build exactly the schema the models describe, and upgrades are idempotent."""

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from legion.core.store import migrate
from legion.core.store.database import make_engine
from legion.core.store.models import METADATA


def test_upgrade_from_empty_matches_the_models(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'legion.db'}")
    assert migrate.schema_state(engine).current is None
    state = migrate.upgrade(engine)
    assert state.up_to_date and state.current == migrate.HEAD
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), METADATA)
    assert diff == []
    assert migrate.upgrade(engine).current == migrate.HEAD  # a second upgrade changes nothing


def test_head_constant_matches_the_newest_migration() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(migrate.MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_current_head() == migrate.HEAD


def test_an_unsupported_database_is_a_clear_config_error() -> None:
    import pytest

    from legion.core.errors import ConfigError
    from legion.core.store.tasks import upsert_sql

    with pytest.raises(ConfigError, match="oracle database"):
        upsert_sql("oracle", "named")
