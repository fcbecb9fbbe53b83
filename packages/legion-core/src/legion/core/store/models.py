"""The tables. Times are UNIX epoch seconds (float) so every backend stores them alike."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Column, Index, Text
from sqlmodel import Field, SQLModel


class ExtensionRow(SQLModel, table=True):
    __tablename__ = "extensions"
    name: str = Field(primary_key=True, max_length=100)
    distribution: str | None = Field(default=None, max_length=200)
    version: str | None = Field(default=None, max_length=50)
    status: str = Field(max_length=20)
    reason: str | None = Field(default=None, sa_column=Column(Text))
    updated_at: float


class RunnerRow(SQLModel, table=True):
    __tablename__ = "runners"
    id: str = Field(primary_key=True, max_length=200)  # extension.runner
    extension: str = Field(max_length=100, index=True)
    name: str = Field(max_length=100)


class FunctionRow(SQLModel, table=True):
    __tablename__ = "functions"
    address: str = Field(primary_key=True, max_length=300)  # extension.runner.function
    runner_id: str = Field(max_length=200, index=True)
    name: str = Field(max_length=100)
    description: str | None = Field(default=None, sa_column=Column(Text))
    input_schema: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    remote_invocable: bool = True


class TaskRow(SQLModel, table=True):
    __tablename__ = "tasks"
    __table_args__ = (
        Index("ix_tasks_status_created", "status", "created_at"),
        Index("ix_tasks_master", "master_id"),
        Index("ix_tasks_parent", "parent_id"),
        Index("ix_tasks_function", "function"),
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
    created_at: float
    started_at: float | None = None
    finished_at: float | None = None
    run_at: float | None = None


class TaskLogRow(SQLModel, table=True):
    __tablename__ = "task_logs"
    id: int | None = Field(default=None, primary_key=True)
    task_id: str = Field(max_length=32, index=True)
    at: float
    status: str = Field(max_length=30)
    message: str | None = Field(default=None, sa_column=Column(Text))


class ChainRow(SQLModel, table=True):
    __tablename__ = "chains"
    name: str = Field(primary_key=True, max_length=100)
    description: str | None = Field(default=None, sa_column=Column(Text))
    active: bool = True
    created_at: float


class RelationshipRow(SQLModel, table=True):
    __tablename__ = "relationships"
    id: int | None = Field(default=None, primary_key=True)
    name: str | None = Field(default=None, max_length=200)
    trigger: str = Field(max_length=300, index=True)
    action: str = Field(max_length=300)
    conditions: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    transformation: str | None = Field(default=None, sa_column=Column(Text))
    engine: str = Field(default="jinja", max_length=20)
    delay: float = 0.0
    chain: str | None = Field(default=None, max_length=100, index=True)
    active: bool = True
    created_at: float


class ScheduleRow(SQLModel, table=True):
    __tablename__ = "schedules"
    name: str = Field(primary_key=True, max_length=100)
    function: str = Field(max_length=300)
    cron: str | None = Field(default=None, max_length=100)
    interval: float | None = None
    args: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    payload: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    transformation: str | None = Field(default=None, sa_column=Column(Text))
    engine: str = Field(default="jinja", max_length=20)
    active: bool = True
    last_run: float | None = None
    next_run: float | None = None
    created_at: float


class NodeRow(SQLModel, table=True):
    __tablename__ = "nodes"
    name: str = Field(primary_key=True, max_length=200)
    version: str = Field(max_length=50)
    mode: str = Field(max_length=10)
    pid: int | None = None
    status: str = Field(max_length=20)
    started_at: float
    last_seen: float


METADATA = SQLModel.metadata
