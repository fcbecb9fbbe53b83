"""The store: connect, `SELECT 1`, and compare the schema revision with the one this Legion needs.

`doctor --fix` migrates only what a start would migrate by itself: a SQLite file, or a database
with no Legion tables yet. A PostgreSQL or MySQL schema with data in it is left alone, because
its upgrade should follow a backup: the finding says to run `legionio db upgrade`.
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from legion.app.health.report import Finding
from legion.app.health.runner import elapsed_ms

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from legion.core.settings import Settings

UPGRADE = "run `legionio db upgrade`"
DRIVER_EXTRAS = {"postgresql": "postgres", "mysql": "mysql", "mariadb": "mysql"}


def store_url(settings: Settings) -> str:
    """`data.url`, else the default SQLite file; unlike the store's helper it creates nothing."""
    return settings.data.url or f"sqlite:///{settings.home / 'legion.db'}"


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (None for other backends and for in-memory databases)."""
    if not url.startswith("sqlite"):
        return None
    path = url.split("///", 1)[-1] if "///" in url else ""
    return Path(path) if path and path != ":memory:" else None


def connect_args(url: str, timeout: float) -> dict[str, Any]:
    """Connect timeouts in each driver's own terms (libpq counts whole seconds, at least 2)."""
    from sqlalchemy.engine import make_url

    driver = make_url(url).get_driver_name()
    if driver in ("psycopg", "psycopg2"):
        return {"connect_timeout": max(2, math.ceil(timeout))}
    if driver == "pymysql":
        return {"connect_timeout": timeout, "read_timeout": timeout}
    if driver == "mysqldb":
        return {"connect_timeout": max(1, math.ceil(timeout))}
    if driver == "pysqlite":
        return {"timeout": timeout}
    return {}


def check(settings: Settings, timeout: float) -> Finding:
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError
    from sqlalchemy.pool import NullPool

    from legion.core.settings.redact import redact_url

    url = store_url(settings)
    shown = redact_url(url)
    path = sqlite_file(url)
    if path is not None and not path.exists():
        return Finding(
            "database",
            "warn",
            f"no database yet at {path}; the first start creates it",
            fix=f"{UPGRADE} (or start the node)",
            details={"url": shown, "current": None},
            repair=lambda: upgrade(settings),
        )
    try:
        engine = create_engine(url, poolclass=NullPool, connect_args=connect_args(url, timeout))
    except (ArgumentError, ValueError) as exc:
        return Finding(
            "database", "fail", f"data.url is not a database URL ({exc})", fix="fix data.url"
        )
    except (ModuleNotFoundError, NoSuchModuleError) as exc:
        return missing_driver(url, shown, exc)
    try:
        started = time.monotonic()
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        latency = elapsed_ms(started)
        from legion.core.store import migrate

        state = migrate.schema_state(engine)
    except (ModuleNotFoundError, NoSuchModuleError) as exc:
        return missing_driver(url, shown, exc)
    except SQLAlchemyError as exc:
        return Finding(
            "database",
            "fail",
            f"{shown}: {first_line(exc)}",
            fix="check data.url and that the database server runs and accepts this login",
            details={"url": shown},
        )
    finally:
        engine.dispose()
    return schema_finding(settings, engine, shown, state.current, state.head, latency)


def schema_finding(
    settings: Settings,
    engine: Engine,
    shown: str,
    current: str | None,
    head: str,
    latency: float,
) -> Finding:
    backend = engine.dialect.name
    where = f"{backend} at {shown}: SELECT 1 ok"
    details = {"url": shown, "backend": backend, "current": current, "head": head}
    if current == head:
        return Finding(
            "database",
            "pass",
            f"{where}; schema {head} (current)",
            latency_ms=latency,
            details=details,
        )
    if current is None or (backend == "sqlite" and known_revision(current)):
        return Finding(
            "database",
            "warn",
            f"{where}; schema {current or '(empty)'}, this Legion needs {head}: migrations pending",
            latency_ms=latency,
            fix=f"{UPGRADE} (a start also does it for SQLite and empty databases)",
            details=details,
            repair=lambda: upgrade(settings),
        )
    if known_revision(current):
        return Finding(
            "database",
            "fail",
            f"{where}; schema {current}, this Legion needs {head}: migrations pending",
            latency_ms=latency,
            fix=f"back the database up, then {UPGRADE}",
            details=details,
        )
    return Finding(
        "database",
        "fail",
        f"{where}; schema {current} is unknown to this Legion (it needs {head}): a newer Legion "
        "may have migrated it",
        latency_ms=latency,
        fix="run the Legion version that migrated this database, or restore a backup",
        details=details,
    )


def known_revision(revision: str) -> bool:
    """Whether `revision` is one of this Legion's migrations (older than head if not head)."""
    from alembic.script import ScriptDirectory

    from legion.core.store import migrate

    try:
        return ScriptDirectory(str(migrate.MIGRATIONS)).get_revision(revision) is not None
    except Exception:  # alembic raises several kinds for an unknown id
        return False


def upgrade(settings: Settings) -> str:
    """Apply the pending migrations the way `legionio db upgrade` does."""
    from legion.core.settings.redact import redact_url
    from legion.core.store import migrate
    from legion.core.store.database import open_database

    engine = open_database(settings)
    try:
        before = migrate.schema_state(engine).current
        after = migrate.upgrade(engine)
    finally:
        engine.dispose()
    url = redact_url(store_url(settings))
    return f"migrated {url} from schema {before or '(empty)'} to {after.current}"


def missing_driver(url: str, shown: str, exc: Exception) -> Finding:
    from sqlalchemy.engine import make_url

    backend = make_url(url).get_backend_name()
    extra = DRIVER_EXTRAS.get(backend)
    fix = (
        f"install the driver: pip install 'legion-core[{extra}]'"
        if extra
        else "install the database driver named in data.url"
    )
    return Finding(
        "database",
        "fail",
        f"{shown}: no driver for {backend} ({first_line(exc)})",
        fix=fix,
        details={"url": shown},
    )


def first_line(exc: BaseException) -> str:
    """The driver's own message, first line only: SQLAlchemy appends SQL and a link."""
    inner = getattr(exc, "orig", None) or exc
    text = str(inner).strip()
    return text.splitlines()[0] if text else type(inner).__name__
