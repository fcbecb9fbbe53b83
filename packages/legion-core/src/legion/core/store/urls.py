"""`data.url` → a SQLAlchemy URL with the driver Legion ships an extra for.

Users write `postgresql://` or `mysql://`; the store needs a named driver, and an unsupported or
driverless URL should fail at start with what to do, not deep inside SQLAlchemy.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from legion.core.errors import ConfigError
from legion.core.settings.redact import redact_url

SUPPORTED = "sqlite://, postgresql:// or mysql:// (MariaDB: mariadb://)"


@dataclass(frozen=True)
class Backend:
    """A database family Legion stores tasks in, and the driver it uses for it."""

    dialect: str  # SQLAlchemy's dialect name once connected
    driver: str  # the `+driver` part of the URL
    module: str  # the module that driver imports
    extra: str | None  # the legion-core extra that installs it


SQLITE = Backend("sqlite", "pysqlite", "sqlite3", None)
POSTGRESQL = Backend("postgresql", "psycopg", "psycopg", "postgres")
MYSQL = Backend("mysql", "pymysql", "pymysql", "mysql")

# URL scheme (before any `+driver`) → backend.
SCHEMES: dict[str, Backend] = {
    "sqlite": SQLITE,
    "postgresql": POSTGRESQL,
    "postgres": POSTGRESQL,
    "mysql": MYSQL,
    "mariadb": MYSQL,
}


def unsupported(what: str) -> ConfigError:
    return ConfigError(
        f"data.url points at {what}; Legion stores tasks in SQLite, PostgreSQL or MySQL/MariaDB",
        hint=f"set data.url to {SUPPORTED}, or leave it unset for SQLite in LEGION_HOME",
    )


def backend_of(url: str) -> tuple[Backend, URL]:
    """The backend of `url` and the URL SQLAlchemy should open (driver filled in)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(
            f"data.url {redact_url(url)!r} is not a database URL",
            hint=f"use {SUPPORTED}",
        ) from None
    scheme, _, driver = parsed.drivername.partition("+")
    backend = SCHEMES.get(scheme)
    if backend is None:
        raise unsupported(f"a {scheme} database")
    if driver and driver != backend.driver:
        # The writer's raw SQL and the tests cover one driver per database.
        raise unsupported(f"{scheme} through the {driver} driver (Legion uses {backend.driver})")
    return backend, parsed.set(drivername=f"{backend.dialect}+{backend.driver}")


def require_driver(backend: Backend, url: URL) -> None:
    """A missing driver is a ConfigError naming the extra that installs it."""
    if backend.extra is None or importlib.util.find_spec(backend.module) is not None:
        return
    raise ConfigError(
        f"data.url {url.render_as_string(hide_password=True)} needs the "
        f"{backend.module} driver, which is not installed",
        hint=f"pip install 'legion-core[{backend.extra}]'",
    )
