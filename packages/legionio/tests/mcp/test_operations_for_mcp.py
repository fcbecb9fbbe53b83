"""The operations added for the MCP management tools, on a real in-process runtime."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from legion.app.daemon.client import LocalClient
from legion.core.catalog import Catalog
from legion.core.errors import NotFoundError, UsageError
from legion.core.extensions.components import LITE_COMPONENTS
from legion.core.settings import load_settings


@pytest.fixture
def ops() -> Iterator[LocalClient]:
    settings = load_settings({})
    client = LocalClient(settings, Catalog.load(settings, LITE_COMPONENTS), start_engine=True)
    try:
        yield client
    finally:
        client.close()


def test_task_wait_returns_the_finished_task(ops: LocalClient) -> None:
    run = ops.call("task.run", function="ping.ping.ping", args={})
    done = ops.call("task.wait", task_id=run["task_id"], timeout=30)
    assert done["status"] == "completed" and done["result"]["reply"] == "pong"


def test_describe_runner_by_runner_or_address(ops: LocalClient) -> None:
    funcs = ops.call("runner.describe", runner="scheduler.schedule")
    assert {f["address"] for f in funcs} >= {"scheduler.schedule.add", "scheduler.schedule.list"}
    one = ops.call("runner.describe", runner="ping.ping.ping")
    assert one[0]["input_schema"]["properties"]["message"]
    with pytest.raises(NotFoundError, match=r"no runner 'nope\.nope'"):
        ops.call("runner.describe", runner="nope.nope")


def test_extensions_disable_enable_and_rescan(ops: LocalClient) -> None:
    catalog = ops.runtime.catalog
    assert ops.call("extension.disable", name="ping")["status"] == "disabled"
    assert "ping.ping.ping" not in catalog.registry
    assert ops.call("extension.enable", name="ping")["status"] == "loaded"
    assert "ping.ping.ping" in catalog.registry
    # As if lex-ping had been installed after this process started: no record at all.
    catalog.registry.remove("ping")
    catalog.records[:] = [r for r in catalog.records if r.name != "ping"]
    assert ops.call("extension.enable", name="ping")["status"] == "loaded"
    assert "ping.ping.ping" in catalog.registry
    listed = {e["name"]: e for e in ops.call("extension.list")}
    assert listed["ping"]["functions"] == 1
    with pytest.raises(NotFoundError, match="'nope' is not installed"):
        ops.call("extension.enable", name="nope")


def test_schedules_create_update_delete(ops: LocalClient) -> None:
    ops.call("schedule.create", name="n", function="ping.ping.ping", every=60)
    updated = ops.call("schedule.update", name="n", cron="0 3 * * *", args={"message": "x"})
    assert updated["cron"] == "0 3 * * *" and updated["interval"] is None
    assert updated["args"] == {"message": "x"}
    with pytest.raises(UsageError):
        ops.call("schedule.update", name="n", function="nope.nope.nope")
    rows: list[dict[str, Any]] = ops.call("schedule.list")
    assert [(r["name"], r["function"], r["cron"]) for r in rows] == [
        ("n", "ping.ping.ping", "0 3 * * *")
    ]
    ops.call("schedule.delete", name="n")
    assert ops.call("schedule.list") == []


def test_chain_and_relationship_updates(ops: LocalClient) -> None:
    rel = ops.call(
        "relationship.create", trigger="ping.ping.ping", action="health.check.ping", chain="c"
    )
    chain = ops.call("chain.update", name="c", active=False)
    assert [r["active"] for r in chain["relationships"]] == [False]
    kept = ops.call("relationship.update", relationship_id=rel["id"], active=True)
    assert kept["id"] == rel["id"] and kept["active"] is True and kept["replaced"] is None
    moved = ops.call("relationship.update", relationship_id=rel["id"], delay=5)
    assert moved["replaced"] == rel["id"] and moved["delay"] == 5 and moved["chain"] == "c"
    with pytest.raises(NotFoundError):
        ops.call("relationship.show", relationship_id=rel["id"])
    with pytest.raises(UsageError, match="nothing to change"):
        ops.call("relationship.update", relationship_id=moved["id"])


def test_config_is_redacted_including_token_digests(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEGION_MCP__AUTH__TOKENS", '["' + "a" * 64 + '"]')
    settings = load_settings({})
    client = LocalClient(settings, Catalog.load(settings, LITE_COMPONENTS), start_engine=False)
    try:
        shown = client.call("config.show")
    finally:
        client.close()
    assert shown["mcp"]["auth"]["tokens"] == ["***REDACTED***"]
    assert "a" * 64 not in str(shown)
