"""The audit log end to end: a key calls the API, a policy denies it, both calls are listed;
editing a past row with SQL makes `legion audit verify` exit 1 naming that row."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from .conftest import cli, cli_json


def test_user_story_key_call_denial_and_audit_list(
    api: Callable[..., Any], new_key: Callable[[str], dict[str, Any]]
) -> None:
    key = new_key("deployer")  # a role from the policy directory in settings
    headers = {"X-API-Key": key["key"], "X-Request-ID": "story-1"}
    with api() as url:
        created = httpx.post(f"{url}/api/v1/tasks", headers=headers)
        assert created.status_code == 201
        assert created.headers["x-request-id"] == "story-1"
        assert httpx.get(f"{url}/api/v1/extensions/http", headers=headers).status_code == 200
        denied = httpx.get(f"{url}/api/v1/extensions/vault", headers=headers)
        assert denied.status_code == 403
        rule = denied.json()["error"]["details"]["rule"]
        assert rule["role"] == "deployer" and rule["path"] == "extensions/vault"
        assert rule["capabilities"] == ["deny"] and rule["source"].endswith("deployer.hcl:12")
    entries = cli_json("audit", "list", "--principal", f"key:{key['id']}")
    # The allowed POST and the denied GET; the allowed GET is not a mutating call.
    assert [(e["method"], e["path"], e["decision"], e["status"]) for e in entries] == [
        ("POST", "/api/v1/tasks", "allow", 201),
        ("GET", "/api/v1/extensions/vault", "deny", 403),
    ]
    assert entries[0]["request_id"] == "story-1" and entries[0]["action"] == "create"
    assert entries[1]["resource"] == "extensions/vault" and "deployer" in entries[1]["rule"]
    human = cli("audit", "list").stdout
    assert f"key:{key['id']}" in human and "deny" in human


def test_verify_detects_a_modified_row(
    api: Callable[..., Any], legion_home: Path, new_key: Callable[[str], dict[str, Any]]
) -> None:
    key = new_key("observer")
    with api() as url:
        for _ in range(3):  # denied: observers cannot create tasks
            assert (
                httpx.post(f"{url}/api/v1/tasks", headers={"X-API-Key": key["key"]}).status_code
                == 403
            )
        assert httpx.delete(f"{url}/api/v1/tasks/9").status_code == 401
    intact = cli_json("audit", "verify")
    assert intact == {"ok": True, "checked": 4, "first_bad": None}
    exported = cli("audit", "export", "--format", "csv").stdout
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert len(rows) == 4 and rows[3]["principal"] == "anonymous" and rows[3]["status"] == "401"
    assert len(json.loads(cli("audit", "export", "--format", "json").stdout)) == 4

    with sqlite3.connect(legion_home / "legion.db") as conn:
        conn.execute("UPDATE audit_log SET decision = 'allow' WHERE seq = 2")
    broken = cli("audit", "verify", check=False)
    assert broken.returncode == 1
    assert "entry 2" in broken.stdout and "modified" in broken.stdout
    as_json = cli("audit", "verify", "--json", check=False)
    assert as_json.returncode == 1 and json.loads(as_json.stdout)["first_bad"]["seq"] == 2
