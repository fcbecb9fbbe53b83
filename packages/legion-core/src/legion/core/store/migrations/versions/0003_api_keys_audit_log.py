"""api keys and the hash-chained audit log

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 09:00:00
"""

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# Spelled out here rather than imported, so this revision stays what it was when models change.
SECONDS = sa.Float().with_variant(mysql.DOUBLE(asdecimal=False), "mysql", "mariadb")
LONG_TEXT = sa.Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")
OPTIONS: dict[str, Any] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_bin",
}


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=100), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("created_at", SECONDS, nullable=False),
        sa.Column("revoked_at", SECONDS, nullable=True),
        sa.PrimaryKeyConstraint("id"),
        **OPTIONS,
    )
    # seq and prev_hash are unique: two writers racing for one place in the chain cannot both win.
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", SECONDS, nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("principal", sa.String(length=300), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("path", LONG_TEXT, nullable=False),
        sa.Column("resource", LONG_TEXT, nullable=True),
        sa.Column("action", sa.String(length=20), nullable=True),
        sa.Column("decision", sa.String(length=10), nullable=False),
        sa.Column("rule", LONG_TEXT, nullable=True),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("reason", LONG_TEXT, nullable=True),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("seq"),
        sa.UniqueConstraint("prev_hash"),
        **OPTIONS,
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"], unique=False)
    op.create_index(op.f("ix_audit_log_principal"), "audit_log", ["principal"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_audit_log_principal"), table_name="audit_log")
    op.drop_index("ix_audit_log_at", table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_table("api_keys")
