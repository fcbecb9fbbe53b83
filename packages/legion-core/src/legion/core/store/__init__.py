"""Persistence: sqlmodel tables, alembic migrations, and the task write path.

SQLite under `LEGION_HOME` by default; PostgreSQL or MySQL by `data.url`.
"""
