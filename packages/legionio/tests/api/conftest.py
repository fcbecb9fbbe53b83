"""A real node for the API tests: the `serve_node` fixture of the parent conftest (a runtime
with its engine running, served by uvicorn on a free loopback port, under its own LEGION_HOME),
without the security layer."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

# A `ServedNode` of ../conftest.py: tests here use its url, runtime, app and client().
Node = Any


def wait_until(check: Any, what: str, deadline: float = 30.0) -> Any:
    """Poll `check` until it returns something truthy, failing after `deadline` seconds."""
    end = time.monotonic() + deadline
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.02)


@pytest.fixture(scope="module")
def node(serve_node: Callable[..., Any]) -> Node:
    return serve_node({"api": {"max_body_bytes": 64 * 1024}}, secured=False)
