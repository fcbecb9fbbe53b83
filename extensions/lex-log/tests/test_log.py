from collections.abc import Iterator
from typing import Any

import pytest

from legion.core.errors import ValidationFailed
from legion.core.logging import logger
from legion.core.registry import CapabilityRegistry
from legion.extensions.log import extension
from legion.extensions.log.runners.message import write


@pytest.fixture
def records() -> Iterator[list[dict[str, Any]]]:
    """Every record loguru emits while the test runs, level TRACE and up."""
    seen: list[dict[str, Any]] = []
    sink = logger.add(lambda m: seen.append(dict(m.record)), level="TRACE", format="{message}")
    try:
        yield seen
    finally:
        logger.remove(sink)


def test_write_logs_at_the_level_with_bound_fields(records: list[dict[str, Any]]) -> None:
    out = write("disk almost full", "warning", {"host": "db1", "free_mb": 12})
    assert out == {
        "message": "disk almost full",
        "level": "WARNING",
        "fields": {"host": "db1", "free_mb": 12},
    }
    (record,) = records
    assert record["level"].name == "WARNING"
    assert record["message"] == "disk almost full"
    assert record["extra"] == {"host": "db1", "free_mb": 12}


def test_default_level_is_info_and_braces_are_not_placeholders(
    records: list[dict[str, Any]],
) -> None:
    out = write("payload {results} and {0}")
    assert out["level"] == "INFO" and out["fields"] == {}
    (record,) = records
    assert record["level"].name == "INFO"
    assert record["message"] == "payload {results} and {0}"


def test_every_declared_level_is_accepted(records: list[dict[str, Any]]) -> None:
    levels = ["trace", "debug", "info", "success", "warning", "error", "critical"]
    for level in levels:
        write("x", level)  # type: ignore[arg-type]
    assert [r["level"].name.lower() for r in records] == levels


def test_registry_validates_the_level() -> None:
    registry = CapabilityRegistry()
    registry.add(extension)
    cap = registry.get("log.message.write")
    assert set(cap.input_schema["properties"]["level"]["enum"]) >= {"info", "error"}
    assert cap.input_schema["required"] == ["message"]
    with pytest.raises(ValidationFailed, match="level"):
        cap.invoke({"message": "x", "level": "loud"})
    with pytest.raises(ValidationFailed, match="message"):
        cap.invoke({"level": "info"})


def test_registry_invocation_writes(records: list[dict[str, Any]]) -> None:
    registry = CapabilityRegistry()
    registry.add(extension)
    out = registry.get("log.message.write").invoke(
        {"message": "hi", "level": "error", "fields": {"task": "t1"}}
    )
    assert out["level"] == "ERROR"
    assert records[-1]["extra"] == {"task": "t1"}
