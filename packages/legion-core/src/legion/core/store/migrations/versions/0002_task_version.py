"""task version: the write order of a task's changes across processes

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 08:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Every recorded change bumps it; the writer's upsert never replaces a newer version with an
    # older one, so a publisher's late "queued" cannot undo a worker's "completed".
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.drop_column("version")
