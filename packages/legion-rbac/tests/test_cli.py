"""`legion rbac roles` and `check`, through click's runner and as a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from legion.rbac.cli import main

TEAM = """assignments:
  user:alice: [worker]
  user:bob: [observer, fence]
policies:
  fence: |
    path "tasks/secret*" {
      capabilities = ["deny"]
    }
"""


@pytest.fixture
def policies(tmp_path: Path) -> Path:
    folder = tmp_path / "rbac"
    folder.mkdir()
    (folder / "team.yaml").write_text(TEAM)
    (folder / "ops.hcl").write_text('path "nodes/*" {\n  capabilities = ["update"]\n}\n')
    return folder


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.delenv("LEGION_RBAC_POLICIES", raising=False)
    return CliRunner()


def test_roles_lists_builtins_without_sources(runner: CliRunner) -> None:
    result = runner.invoke(main, ["roles"])
    assert result.exit_code == 0, result.output
    for name in ("observer", "worker", "supervisor", "admin"):
        assert f"{name}  (built-in)" in result.stdout
    assert 'path "extensions/*" read, execute' in result.stdout


def test_roles_json_includes_loaded_roles_and_assignments(
    runner: CliRunner, policies: Path
) -> None:
    result = runner.invoke(main, ["roles", "--policies", str(policies), "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    names = [r["name"] for r in payload["roles"]]
    assert names == ["observer", "worker", "supervisor", "admin", "ops", "fence"]
    ops = payload["roles"][4]
    assert ops["rules"] == [
        {
            "role": "ops",
            "path": "nodes/*",
            "capabilities": ["update"],
            "source": f"{policies / 'ops.hcl'}:1",
        }
    ]
    assert payload["assignments"]["user:bob"] == ["observer", "fence"]
    assert payload["enforce"] is True


def test_check_allowed_and_denied(runner: CliRunner, policies: Path) -> None:
    allowed = runner.invoke(
        main, ["--policies", str(policies), "check", "user:alice", "tasks/1", "create"]
    )
    assert allowed.exit_code == 0, allowed.output
    assert allowed.stdout.startswith("ALLOWED: user:alice create tasks/1")
    assert "rule:   role 'worker' path \"tasks/*\" [create, read]" in allowed.stdout
    denied = runner.invoke(
        main, ["check", "user:bob", "tasks/secret-1", "read", "--policies", str(policies)]
    )
    assert denied.exit_code == 1
    assert denied.stdout.startswith("DENIED: user:bob read tasks/secret-1")
    assert "rule:   role 'fence' path \"tasks/secret*\" [deny]" in denied.stdout


def test_check_json(runner: CliRunner, policies: Path) -> None:
    result = runner.invoke(
        main, ["check", "user:bob", "tasks/1", "read", "--policies", str(policies), "--json"]
    )
    assert result.exit_code == 0
    decision = json.loads(result.stdout)
    assert decision["allowed"] is True and decision["would_deny"] is False
    assert decision["rule"]["role"] == "observer"
    assert decision["rule"]["path"] == "*"


def test_env_var_names_the_sources(
    runner: CliRunner, policies: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "LEGION_RBAC_POLICIES",
        os.pathsep.join([str(policies / "ops.hcl"), str(policies / "team.yaml")]),
    )
    result = runner.invoke(main, ["check", "user:alice", "tasks/1", "read"])
    assert result.exit_code == 0, result.output


def test_audit_mode_exits_zero_and_says_so(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "audit.yaml").write_text("enforce: false\n")
    result = runner.invoke(
        main, ["check", "user:x", "tasks/1", "delete", "--policies", str(tmp_path)]
    )
    assert result.exit_code == 0
    assert result.stdout.startswith("ALLOWED (audit mode: would deny)")


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["check", "user:a", "tasks/1", "fly"], "unknown action 'fly'"),
        (["check", "alice", "tasks/1", "read"], "not of the form kind:id"),
        (["check", "user:a", "tasks/1", "read", "--policies", "/no/such/dir"], "no such file"),
        (["roles", "--policies", "BAD"], "unknown capability 'fly'"),
        (["roles", "--policies", "HCL"], "malformed HCL"),
    ],
)
def test_bad_input_exits_two_with_one_line(
    runner: CliRunner, tmp_path: Path, args: list[str], needle: str
) -> None:
    bad = tmp_path / "bad.hcl"
    bad.write_text('path "a" {\n  capabilities = ["fly"]\n}\n')
    broken = tmp_path / "broken.hcl"
    broken.write_text('path "a" {\n  capabilities = ["read"\n}\n')
    args = [str(bad) if a == "BAD" else str(broken) if a == "HCL" else a for a in args]
    result = runner.invoke(main, args)
    assert result.exit_code == 2
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and needle in lines[0]


def _run(*args: str, env_policies: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "LEGION_RBAC_POLICIES"}
    if env_policies is not None:
        env["LEGION_RBAC_POLICIES"] = env_policies
    return subprocess.run(
        [sys.executable, "-m", "legion.rbac.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_the_real_entry_point(policies: Path) -> None:
    allowed = _run("check", "user:alice", "tasks/1", "read", "--json", env_policies=str(policies))
    assert allowed.returncode == 0, allowed.stderr
    assert json.loads(allowed.stdout)["rule"]["role"] == "worker"

    denied = _run("check", "user:alice", "nodes/1", "update", "--json", "--policies", str(policies))
    assert denied.returncode == 1, denied.stderr
    body = json.loads(denied.stdout)
    assert body["allowed"] is False and body["rule"] is None
    assert body["reason"] == "no rule of role(s) worker grants 'update' on 'nodes/1'"

    bad = _run("check", "user:alice", "tasks/1", "deny")
    assert bad.returncode == 2
    assert bad.stdout == ""
    assert bad.stderr.startswith("error: 'deny' is not an action")
    assert "Traceback" not in bad.stderr

    listed = _run("roles", "--json")
    assert listed.returncode == 0
    assert [r["name"] for r in json.loads(listed.stdout)["roles"]] == [
        "observer",
        "worker",
        "supervisor",
        "admin",
    ]


def test_python_dash_m_package() -> None:
    env = {k: v for k, v in os.environ.items() if k != "LEGION_RBAC_POLICIES"}
    result = subprocess.run(
        [sys.executable, "-m", "legion.rbac", "check", "user:a", "tasks/1", "read"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert result.stdout.startswith("DENIED: user:a read tasks/1")
