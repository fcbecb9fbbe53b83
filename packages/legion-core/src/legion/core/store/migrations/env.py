"""Alembic environment: runs against the connection handed over by `legion.core.store.migrate`."""

from alembic import context

from legion.core.store.models import METADATA

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=METADATA,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
