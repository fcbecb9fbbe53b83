"""Fixtures for the store on database servers: a scratch schema (PostgreSQL) or database
(MariaDB/MySQL) per test session, dropped at the end, never another table of the server.

Servers come from LEGION_TEST_POSTGRES_URL and LEGION_TEST_MYSQL_URL (defaults: the local ones).
When one is unreachable its tests skip, unless LEGION_REQUIRE_SERVICES=1, where they fail.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from legion.core.store.database import make_engine
from legion.core.store.scratch import ScratchStore, create_scratch

SERVERS = {
    "postgresql": os.environ.get("LEGION_TEST_POSTGRES_URL")
    or "postgresql://postgres@127.0.0.1:5432/test",
    "mariadb": os.environ.get("LEGION_TEST_MYSQL_URL") or "mysql://root@127.0.0.1:3306/test",
}


def open_scratch(server: str) -> ScratchStore:
    try:
        return create_scratch(SERVERS[server])
    except Exception as exc:  # refused, bad credentials, missing driver
        if os.environ.get("LEGION_REQUIRE_SERVICES") == "1":
            pytest.fail(f"{server} required but unreachable at {SERVERS[server]}: {exc}")
        pytest.skip(f"{server} unreachable at {SERVERS[server]}")


@pytest.fixture(scope="session")
def postgresql_scratch() -> Iterator[ScratchStore]:
    scratch = open_scratch("postgresql")
    yield scratch
    scratch.drop()


@pytest.fixture(scope="session")
def mariadb_scratch() -> Iterator[ScratchStore]:
    scratch = open_scratch("mariadb")
    yield scratch
    scratch.drop()


@pytest.fixture(params=sorted(SERVERS))
def scratch(request: pytest.FixtureRequest) -> Iterator[ScratchStore]:
    """A session's scratch store on each server, emptied before the test."""
    store: ScratchStore = request.getfixturevalue(f"{request.param}_scratch")
    store.clear()
    yield store


@pytest.fixture
def db(scratch: ScratchStore) -> Iterator[Engine]:
    """An engine on the scratch store, migrated to head."""
    from legion.core.store import migrate

    engine = make_engine(scratch.url)
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(params=sorted(SERVERS))
def empty_scratch(request: pytest.FixtureRequest) -> Iterator[ScratchStore]:
    """A scratch store of this test alone, with no tables yet; dropped afterwards."""
    store = open_scratch(request.param)
    yield store
    store.drop()
