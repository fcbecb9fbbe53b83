"""`data.url` spellings: the driver Legion uses is filled in, anything else is a clear error."""

from __future__ import annotations

import importlib.util
from typing import Any

import pytest

from legion.core.errors import ConfigError
from legion.core.store.database import make_engine
from legion.core.store.urls import backend_of


@pytest.mark.parametrize(
    ("url", "driver"),
    [
        ("postgresql://u:pw@db:5432/legion", "postgresql+psycopg"),
        ("postgres://u@db/legion", "postgresql+psycopg"),
        ("postgresql+psycopg://u@db/legion", "postgresql+psycopg"),
        ("mysql://u@db/legion", "mysql+pymysql"),
        ("mariadb://u@db:3306/legion", "mysql+pymysql"),
        ("sqlite:////tmp/x.db", "sqlite+pysqlite"),
    ],
)
def test_bare_schemes_get_the_shipped_driver(url: str, driver: str) -> None:
    _, parsed = backend_of(url)
    assert parsed.drivername == driver
    assert parsed.database in ("legion", "/tmp/x.db")


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("oracle://u@db/x", "a oracle database"),
        ("mssql+pyodbc://u@db/x", "a mssql database"),
        ("postgresql+psycopg2://u@db/x", "through the psycopg2 driver"),
        ("not a url", "is not a database URL"),
    ],
)
def test_unsupported_urls_name_the_supported_ones(url: str, said: str) -> None:
    with pytest.raises(ConfigError, match=said) as info:
        make_engine(url)
    assert "postgresql://" in (info.value.hint or "") and "mysql://" in (info.value.hint or "")


def test_a_missing_driver_names_the_extra_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec

    def without_psycopg(name: str, *args: Any) -> Any:
        return None if name == "psycopg" else real(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", without_psycopg)
    with pytest.raises(ConfigError, match="psycopg driver") as info:
        make_engine("postgresql://u:secret@db/x")
    assert info.value.hint == "pip install 'legion-core[postgres]'"
    assert "secret" not in str(info.value)


def test_server_engines_pool_and_check_connections() -> None:
    engine = make_engine("postgresql://u@127.0.0.1:1/x")  # never connects
    try:
        assert engine.pool._pre_ping  # type: ignore[attr-defined]
        assert engine.pool.size() >= 4  # type: ignore[attr-defined]
    finally:
        engine.dispose()
