"""Throwaway stores on a shared database server: a schema of its own on PostgreSQL, a database
of its own on MySQL/MariaDB. Tests and benchmarks use them so they never touch other tables.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.engine import URL
from sqlalchemy.pool import NullPool

from legion.core.store.models import METADATA
from legion.core.store.urls import MYSQL, POSTGRESQL, backend_of, unsupported


@dataclass
class ScratchStore:
    """One scratch namespace; `url` is what `data.url` should be set to."""

    name: str
    url: str
    server: URL  # the server URL it was made from, driver filled in

    def _admin(self) -> Engine:
        return create_engine(self.server, poolclass=NullPool)

    def clear(self) -> None:
        """Delete every row of Legion's tables, keeping the schema and its revision."""
        engine = create_engine(backend_of(self.url)[1], poolclass=NullPool)
        try:
            with engine.begin() as conn:
                existing = set(inspect(conn).get_table_names())
                for table in METADATA.sorted_tables:
                    if table.name in existing:
                        conn.execute(table.delete())
        finally:
            engine.dispose()

    def drop(self) -> None:
        engine = self._admin()
        try:
            with engine.begin() as conn:
                if engine.dialect.name == "postgresql":
                    conn.execute(text(f'DROP SCHEMA IF EXISTS "{self.name}" CASCADE'))
                else:
                    conn.execute(text(f"DROP DATABASE IF EXISTS `{self.name}`"))
        finally:
            engine.dispose()


def create_scratch(server_url: str, prefix: str = "legion_test") -> ScratchStore:
    """Make a fresh namespace on the server at `server_url` (raises if it is unreachable)."""
    backend, server = backend_of(server_url)
    name = f"{prefix}_{secrets.token_hex(6)}"
    engine = create_engine(server, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            if backend is POSTGRESQL:
                conn.execute(text(f'CREATE SCHEMA "{name}"'))
                scoped = server.update_query_dict({"options": f"-csearch_path={name}"})
            elif backend is MYSQL:
                conn.execute(
                    text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
                )
                scoped = server.set(database=name)
            else:
                raise unsupported(f"a {backend.dialect} server (scratch stores need one)")
    finally:
        engine.dispose()
    return ScratchStore(name, scoped.render_as_string(hide_password=False), server)
