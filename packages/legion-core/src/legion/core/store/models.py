"""The tables. Times are UNIX epoch seconds (float) so every backend stores them alike."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from legion.core.store.columns import LONG_TEXT, SECONDS, TABLE_OPTIONS


class ExtensionRow(SQLModel, table=True):
    __tablename__ = "extensions"
    __table_args__ = TABLE_OPTIONS
    name: str = Field(primary_key=True, max_length=100)
    distribution: str | None = Field(default=None, max_length=200)
    version: str | None = Field(default=None, max_length=50)
    status: str = Field(max_length=20)
    reason: str | None = Field(default=None, sa_column=Column(LONG_TEXT))
    updated_at: float = Field(sa_type=SECONDS)


class RunnerRow(SQLModel, table=True):
    __tablename__ = "runners"
    __table_args__ = TABLE_OPTIONS
    id: str = Field(primary_key=True, max_length=200)  # extension.runner
    extension: str = Field(max_length=100, index=True)
    name: str = Field(max_length=100)


class FunctionRow(SQLModel, table=True):
    __tablename__ = "functions"
    __table_args__ = TABLE_OPTIONS
    address: str = Field(primary_key=True, max_length=300)  # extension.runner.function
    runner_id: str = Field(max_length=200, index=True)
    name: str = Field(max_length=100)
    description: str | None = Field(default=None, sa_column=Column(LONG_TEXT))
    input_schema: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    remote_invocable: bool = True


class TaskRow(SQLModel, table=True):
    __tablename__ = "tasks"
    __table_args__ = (
        Index("ix_tasks_status_created", "status", "created_at"),
        Index("ix_tasks_master", "master_id"),
        Index("ix_tasks_parent", "parent_id"),
        Index("ix_tasks_function", "function"),
        TABLE_OPTIONS,
    )
    id: str = Field(primary_key=True, max_length=32)
    function: str = Field(max_length=300)
    status: str = Field(max_length=30)
    args: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    payload: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    result: Any = Field(default=None, sa_column=Column(JSON))
    error: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    parent_id: str | None = Field(default=None, max_length=32)
    master_id: str | None = Field(default=None, max_length=32)
    depth: int = 0
    chain: str | None = Field(default=None, max_length=100)
    relationship_id: int | None = None
    attempts: int = 0
    max_retries: int = 0
    idempotency_key: str | None = Field(default=None, max_length=200, unique=True)
    created_at: float = Field(sa_type=SECONDS)
    started_at: float | None = Field(default=None, sa_type=SECONDS)
    finished_at: float | None = Field(default=None, sa_type=SECONDS)
    run_at: float | None = Field(default=None, sa_type=SECONDS)
    version: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class TaskLogRow(SQLModel, table=True):
    __tablename__ = "task_logs"
    __table_args__ = TABLE_OPTIONS
    id: int | None = Field(default=None, primary_key=True)
    task_id: str = Field(max_length=32, index=True)
    at: float = Field(sa_type=SECONDS)
    status: str = Field(max_length=30)
    message: str | None = Field(default=None, sa_column=Column(LONG_TEXT))


class ChainRow(SQLModel, table=True):
    __tablename__ = "chains"
    __table_args__ = TABLE_OPTIONS
    name: str = Field(primary_key=True, max_length=100)
    description: str | None = Field(default=None, sa_column=Column(LONG_TEXT))
    active: bool = True
    created_at: float = Field(sa_type=SECONDS)


class RelationshipRow(SQLModel, table=True):
    __tablename__ = "relationships"
    __table_args__ = TABLE_OPTIONS
    id: int | None = Field(default=None, primary_key=True)
    name: str | None = Field(default=None, max_length=200)
    trigger: str = Field(max_length=300, index=True)
    action: str = Field(max_length=300)
    conditions: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    transformation: str | None = Field(default=None, sa_column=Column(LONG_TEXT))
    engine: str = Field(default="jinja", max_length=20)
    delay: float = Field(default=0.0, sa_type=SECONDS)
    chain: str | None = Field(default=None, max_length=100, index=True)
    active: bool = True
    created_at: float = Field(sa_type=SECONDS)


class ScheduleRow(SQLModel, table=True):
    __tablename__ = "schedules"
    __table_args__ = TABLE_OPTIONS
    name: str = Field(primary_key=True, max_length=100)
    function: str = Field(max_length=300)
    cron: str | None = Field(default=None, max_length=100)
    interval: float | None = Field(default=None, sa_type=SECONDS)
    args: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    payload: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    transformation: str | None = Field(default=None, sa_column=Column(LONG_TEXT))
    engine: str = Field(default="jinja", max_length=20)
    active: bool = True
    last_run: float | None = Field(default=None, sa_type=SECONDS)
    next_run: float | None = Field(default=None, sa_type=SECONDS)
    created_at: float = Field(sa_type=SECONDS)


class NodeRow(SQLModel, table=True):
    __tablename__ = "nodes"
    __table_args__ = TABLE_OPTIONS
    name: str = Field(primary_key=True, max_length=200)
    version: str = Field(max_length=50)
    mode: str = Field(max_length=10)
    pid: int | None = None
    status: str = Field(max_length=20)
    started_at: float = Field(sa_type=SECONDS)
    last_seen: float = Field(sa_type=SECONDS)


class ApiKeyRow(SQLModel, table=True):
    """An API key: only the SHA-256 of its secret is kept, so the store never holds a key."""

    __tablename__ = "api_keys"
    __table_args__ = TABLE_OPTIONS
    id: str = Field(primary_key=True, max_length=32)
    name: str = Field(max_length=200)
    role: str = Field(max_length=100)
    digest: str = Field(max_length=64)
    created_at: float = Field(sa_type=SECONDS)
    revoked_at: float | None = Field(default=None, sa_type=SECONDS)


class AuditRow(SQLModel, table=True):
    """One audited call; `hash` covers the row and `prev_hash`, chaining it to the one before.

    `seq` and `prev_hash` are unique, so two writers racing for the same place in the chain
    cannot both succeed (the loser retries on the new tail)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_at", "at"), TABLE_OPTIONS)
    id: int | None = Field(default=None, primary_key=True)
    seq: int = Field(unique=True)
    at: float = Field(sa_type=SECONDS)
    request_id: str = Field(max_length=64)
    principal: str = Field(max_length=300, index=True)
    method: str = Field(max_length=10)
    path: str = Field(sa_column=Column(LONG_TEXT, nullable=False))
    resource: str | None = Field(default=None, sa_column=Column(LONG_TEXT))
    action: str | None = Field(default=None, max_length=20)
    decision: str = Field(max_length=10)
    rule: str | None = Field(default=None, sa_column=Column(LONG_TEXT))
    status: int | None = None
    reason: str | None = Field(default=None, sa_column=Column(LONG_TEXT))
    prev_hash: str = Field(max_length=64, unique=True)
    hash: str = Field(max_length=64)


METADATA = SQLModel.metadata
