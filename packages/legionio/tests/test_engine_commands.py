"""The engine's commands in-process (no daemon): each call opens the store, does its work, and
closes it, exactly as a user's shell would."""

from __future__ import annotations

import json
from typing import Any

import pytest

from legion.app.cli.main import legion_group, legionio_group, run


def call(capsys: pytest.CaptureFixture[str], *args: str, group: Any = legion_group) -> Any:
    code = run(group, "legion", [*args, "--json"])
    out, err = capsys.readouterr()
    data = json.loads(out) if out.strip() else None
    return code, data, err


def test_db_status_and_upgrade(capsys: pytest.CaptureFixture[str]) -> None:
    code, status, _ = call(capsys, "db", "status", group=legionio_group)
    assert code == 0 and status["current"] is None and status["up_to_date"] is False
    code, up, _ = call(capsys, "db", "upgrade", group=legionio_group)
    assert code == 0 and up["from"] is None and up["to"] == status["head"]
    _, again, _ = call(capsys, "db", "status", group=legionio_group)
    assert again["up_to_date"] is True


def test_queue_list_show_and_cancel_without_a_daemon(capsys: pytest.CaptureFixture[str]) -> None:
    code, queued, _ = call(capsys, "task", "run", "ping.ping.ping", "message=later")
    assert code == 0 and queued["status"] == "queued"
    _, page, _ = call(capsys, "task", "list", "--status", "queued")
    assert [t["task_id"] for t in page["tasks"]] == [queued["task_id"]]
    assert page["total"] == 1 and page["has_more"] is False
    _, shown, _ = call(capsys, "task", "show", queued["task_id"])
    assert shown["args"] == {"message": "later"} and shown["log"][0]["status"] == "queued"
    code, cancelled, _ = call(capsys, "task", "cancel", queued["task_id"])
    assert code == 0 and cancelled["status"] == "cancelled"
    code, again, _ = call(capsys, "task", "cancel", queued["task_id"])
    assert code == 2 and "only queued or delayed" in again["error"]["message"]
    code, bad, _ = call(capsys, "task", "list", "--status", "nonsense")
    assert code == 2 and "unknown status" in bad["error"]["message"]


def test_wait_runs_the_task_and_reports_failure_with_exit_1(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, done, _ = call(capsys, "task", "run", "ping.ping.ping", "--wait")
    assert code == 0 and done["status"] == "completed" and done["result"]["reply"] == "pong"
    code, failed, _ = call(capsys, "task", "run", "exec.command.run", 'argv=["true"]')
    assert code == 2 and "not remotely invocable" in failed["error"]["message"]


def test_idempotency_key_from_the_cli(capsys: pytest.CaptureFixture[str]) -> None:
    _, first, _ = call(capsys, "task", "run", "ping.ping.ping", "--idempotency-key", "once")
    _, second, _ = call(capsys, "task", "run", "ping.ping.ping", "--idempotency-key", "once")
    assert first["task_id"] == second["task_id"]


def test_relationships_chains_and_graph(capsys: pytest.CaptureFixture[str]) -> None:
    code, rel, _ = call(
        capsys,
        "relationship",
        "create",
        "--trigger",
        "ping.ping.ping",
        "--action",
        "log.message.write",
        "--chain",
        "audit",
        "--delay",
        "2",
        "--transformation",
        '{"message": {{ results.reply | tojson }}}',
    )
    assert code == 0 and rel["chain"] == "audit" and rel["delay"] == 2.0
    _, chains, _ = call(capsys, "chain", "list")
    assert chains == [{**chains[0], "name": "audit", "relationships": 1}]
    _, graph, _ = call(capsys, "graph", "show", "--format", "mermaid")
    assert graph["edges"] == 1
    assert 'ping_ping_ping["ping.ping.ping"]' in graph["graph"] and "delay 2s" in graph["graph"]
    _, dot, _ = call(capsys, "graph", "show", "--format", "dot", "--chain", "audit")
    assert '"ping.ping.ping" -> "log.message.write"' in dot["graph"]
    _, disabled, _ = call(capsys, "relationship", "disable", str(rel["id"]))
    assert disabled["active"] is False
    _, removed, _ = call(capsys, "chain", "delete", "audit")
    assert removed == {"deleted": "audit", "relationships_deleted": 1}
    code, missing, _ = call(capsys, "relationship", "show", str(rel["id"]))
    assert code == 2 and missing["error"]["code"] == "not_found"


def test_bad_json_options_name_the_option(capsys: pytest.CaptureFixture[str]) -> None:
    code, bad, _ = call(capsys, "task", "run", "ping.ping.ping", "--payload", '{"a": }')
    assert code == 2 and bad["error"]["message"].startswith("--payload: invalid JSON at line 1")
    code, bad, _ = call(capsys, "task", "run", "ping.ping.ping", "novalue")
    assert code == 2 and "is not key=value" in bad["error"]["message"]


def test_schedules(capsys: pytest.CaptureFixture[str]) -> None:
    code, added, _ = call(
        capsys, "schedule", "add", "beat", "--every", "30", "ping.ping.ping", "message=tick"
    )
    assert code == 0, added
    code, cron, _ = call(capsys, "schedule", "add", "nightly", "0 3 * * *", "ping.ping.ping")
    assert code == 0, cron
    _, rows, _ = call(capsys, "schedule", "list")
    assert sorted(r["name"] for r in rows) == ["beat", "nightly"]
    code, bad, _ = call(capsys, "schedule", "add", "broken", "not a cron", "ping.ping.ping")
    assert code == 2 and "not a cron" in bad["error"]["message"]
    assert call(capsys, "schedule", "remove", "beat")[0] == 0
    _, rows, _ = call(capsys, "schedule", "list")
    assert [r["name"] for r in rows] == ["nightly"]
