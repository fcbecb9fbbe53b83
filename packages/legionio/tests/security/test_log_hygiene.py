"""Keys and tokens never reach the logs, whatever happens to the request carrying them."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import httpx

from legion.core.logging import logger

from .conftest import cli_json


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage() + repr(getattr(record, "__dict__", {})))


def test_credentials_never_appear_in_logs(
    api: Callable[..., Any], new_key: Callable[[str], dict[str, Any]]
) -> None:
    key = new_key("observer")
    token = cli_json("auth", "token", "--subject", "carol", "--role", "observer")["token"]
    std = Collect()
    logging.getLogger().addHandler(std)
    previous = logging.getLogger().level
    logging.getLogger().setLevel(logging.DEBUG)
    seen: list[str] = []
    sink = logger.add(lambda m: seen.append(str(m)), level="TRACE")
    limits = {"per_ip": 1000, "per_principal": 2, "window_seconds": 60}
    try:
        with api(api={"auth": {"loopback_open": False}, "rate_limit": limits}) as url:
            target = f"{url}/api/v1/extensions/http"
            for headers in (
                {"X-API-Key": key["key"]},
                {"Authorization": f"Bearer {token}"},
                {"X-API-Key": key["key"] + "x"},
                {"Authorization": f"Bearer {token}x"},
                {"X-API-Key": key["key"], "Authorization": f"Bearer {token}"},
            ):
                for _ in range(3):  # the third is over the principal limit
                    httpx.get(target, headers=headers)
                    httpx.post(f"{url}/api/v1/tasks", headers=headers)
    finally:
        logger.remove(sink)
        logging.getLogger().removeHandler(std)
        logging.getLogger().setLevel(previous)
    text = "\n".join(seen + std.lines)
    assert "rate limit" in text  # the logs did capture the server's records
    secret_part = key["key"].split("_", 2)[2]
    assert secret_part not in text and token not in text
    assert token.split(".")[2] not in text
