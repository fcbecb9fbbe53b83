from datetime import UTC, datetime, timedelta

import pytest

from legion.core.errors import ValidationFailed
from legion.core.registry import CapabilityRegistry
from legion.extensions.ping import extension
from legion.extensions.ping.runners.ping import ping


def test_ping_answers_pong_with_a_fresh_utc_timestamp() -> None:
    before = datetime.now(UTC)
    reply = ping()
    stamp = datetime.fromisoformat(reply["timestamp"])
    assert reply["reply"] == "pong"
    assert before - timedelta(seconds=1) <= stamp <= datetime.now(UTC)
    assert "message" not in reply


def test_ping_echoes_a_message() -> None:
    assert ping("hello")["message"] == "hello"


def test_registry_exposes_ping_ping_ping_with_its_schema() -> None:
    registry = CapabilityRegistry()
    registry.add(extension)
    cap = registry.get("ping.ping.ping")
    assert cap.input_schema["properties"]["message"]["anyOf"][0]["type"] == "string"
    assert "required" not in cap.input_schema
    assert cap.invoke({"message": "x"})["message"] == "x"
    with pytest.raises(ValidationFailed, match="unexpected argument"):
        cap.invoke({"mesage": "typo"})
