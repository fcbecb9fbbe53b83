"""The store as the CLI's auth/audit commands use it: opened, schema brought up to date."""

from __future__ import annotations

from sqlalchemy import Engine

from legion.core.settings import Settings


def open_store(settings: Settings) -> Engine:
    from legion.core.runtime import ensure_schema
    from legion.core.store.database import open_database

    db = open_database(settings)
    ensure_schema(db, settings)
    return db
