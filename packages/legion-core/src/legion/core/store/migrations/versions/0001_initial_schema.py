"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-22 01:59:28.837898
"""

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Spelled out here rather than imported, so this revision stays what it was when models change.
# SQLite and PostgreSQL get FLOAT (double precision) and TEXT; MySQL/MariaDB get DOUBLE (FLOAT is 4
# bytes), LONGTEXT (TEXT stops at 64 KiB) and a binary collation (keys are case-sensitive).
SECONDS = sa.Float().with_variant(mysql.DOUBLE(asdecimal=False), "mysql", "mariadb")
LONG_TEXT = sa.Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")
OPTIONS: dict[str, Any] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_bin",
}


def upgrade() -> None:
    op.create_table(
        "chains",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", LONG_TEXT, nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", SECONDS, nullable=False),
        sa.PrimaryKeyConstraint("name"),
        **OPTIONS,
    )
    op.create_table(
        "extensions",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("distribution", sa.String(length=200), nullable=True),
        sa.Column("version", sa.String(length=50), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", LONG_TEXT, nullable=True),
        sa.Column("updated_at", SECONDS, nullable=False),
        sa.PrimaryKeyConstraint("name"),
        **OPTIONS,
    )
    op.create_table(
        "functions",
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("runner_id", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", LONG_TEXT, nullable=True),
        sa.Column("input_schema", sa.JSON(), nullable=True),
        sa.Column("remote_invocable", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("address"),
        **OPTIONS,
    )
    op.create_index(op.f("ix_functions_runner_id"), "functions", ["runner_id"], unique=False)

    op.create_table(
        "nodes",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("version", sa.String(length=50), nullable=False),
        sa.Column("mode", sa.String(length=10), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("started_at", SECONDS, nullable=False),
        sa.Column("last_seen", SECONDS, nullable=False),
        sa.PrimaryKeyConstraint("name"),
        **OPTIONS,
    )
    op.create_table(
        "relationships",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("trigger", sa.String(length=300), nullable=False),
        sa.Column("action", sa.String(length=300), nullable=False),
        sa.Column("conditions", sa.JSON(), nullable=True),
        sa.Column("transformation", LONG_TEXT, nullable=True),
        sa.Column("engine", sa.String(length=20), nullable=False),
        sa.Column("delay", SECONDS, nullable=False),
        sa.Column("chain", sa.String(length=100), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", SECONDS, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        **OPTIONS,
    )
    op.create_index(op.f("ix_relationships_chain"), "relationships", ["chain"], unique=False)
    op.create_index(op.f("ix_relationships_trigger"), "relationships", ["trigger"], unique=False)

    op.create_table(
        "runners",
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("extension", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        **OPTIONS,
    )
    op.create_index(op.f("ix_runners_extension"), "runners", ["extension"], unique=False)

    op.create_table(
        "schedules",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("function", sa.String(length=300), nullable=False),
        sa.Column("cron", sa.String(length=100), nullable=True),
        sa.Column("interval", SECONDS, nullable=True),
        sa.Column("args", sa.JSON(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.Column("transformation", LONG_TEXT, nullable=True),
        sa.Column("engine", sa.String(length=20), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("last_run", SECONDS, nullable=True),
        sa.Column("next_run", SECONDS, nullable=True),
        sa.Column("created_at", SECONDS, nullable=False),
        sa.PrimaryKeyConstraint("name"),
        **OPTIONS,
    )
    op.create_table(
        "task_logs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.String(length=32), nullable=False),
        sa.Column("at", SECONDS, nullable=False),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("message", LONG_TEXT, nullable=True),
        sa.PrimaryKeyConstraint("id"),
        **OPTIONS,
    )
    op.create_index(op.f("ix_task_logs_task_id"), "task_logs", ["task_id"], unique=False)

    op.create_table(
        "tasks",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("function", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("args", sa.JSON(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error", sa.JSON(), nullable=True),
        sa.Column("parent_id", sa.String(length=32), nullable=True),
        sa.Column("master_id", sa.String(length=32), nullable=True),
        sa.Column("depth", sa.Integer(), nullable=False),
        sa.Column("chain", sa.String(length=100), nullable=True),
        sa.Column("relationship_id", sa.Integer(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_retries", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("created_at", SECONDS, nullable=False),
        sa.Column("started_at", SECONDS, nullable=True),
        sa.Column("finished_at", SECONDS, nullable=True),
        sa.Column("run_at", SECONDS, nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idempotency_key"),
        **OPTIONS,
    )
    op.create_index("ix_tasks_function", "tasks", ["function"], unique=False)
    op.create_index("ix_tasks_master", "tasks", ["master_id"], unique=False)
    op.create_index("ix_tasks_parent", "tasks", ["parent_id"], unique=False)
    op.create_index("ix_tasks_status_created", "tasks", ["status", "created_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_tasks_status_created", table_name="tasks")
    op.drop_index("ix_tasks_parent", table_name="tasks")
    op.drop_index("ix_tasks_master", table_name="tasks")
    op.drop_index("ix_tasks_function", table_name="tasks")

    op.drop_table("tasks")
    op.drop_index(op.f("ix_task_logs_task_id"), table_name="task_logs")

    op.drop_table("task_logs")
    op.drop_table("schedules")
    op.drop_index(op.f("ix_runners_extension"), table_name="runners")

    op.drop_table("runners")
    op.drop_index(op.f("ix_relationships_trigger"), table_name="relationships")
    op.drop_index(op.f("ix_relationships_chain"), table_name="relationships")

    op.drop_table("relationships")
    op.drop_table("nodes")
    op.drop_index(op.f("ix_functions_runner_id"), table_name="functions")

    op.drop_table("functions")
    op.drop_table("extensions")
    op.drop_table("chains")
