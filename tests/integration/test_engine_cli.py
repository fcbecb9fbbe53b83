"""The engine from the command line, as a user drives it, in a fresh LEGION_HOME: with no daemon
(in-process) and with a running daemon (over its socket). Real processes, real SQLite."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

LEGION = [sys.executable, "-c", "from legion.app.cli.main import legion; legion()"]
LEGIONIO = [sys.executable, "-c", "from legion.app.cli.main import legionio; legionio()"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Cli:
    def __init__(self, home: Path) -> None:
        self.home = home
        self.env = {
            **os.environ,
            "LEGION_HOME": str(home),
            "LEGION_SETTINGS_DIRS": str(home / "settings"),
        }
        for name in ("LEGION_DISABLED_EXTENSIONS", "LEGION_MODE"):
            self.env.pop(name, None)

    def run(self, *args: str, program: list[str] = LEGION, ok: bool = True) -> Any:
        out = subprocess.run(
            [*program, *args, "--json"], capture_output=True, text=True, env=self.env, timeout=120
        )
        if ok:
            assert out.returncode == 0, out.stderr + out.stdout
        return json.loads(out.stdout) if out.stdout.strip() else out


@pytest.fixture(params=["in-process", "daemon"])
def cli(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Cli]:
    c = Cli(tmp_path / "home")
    if request.param == "daemon":
        meta = c.run("start", "-d", "--http-port", str(free_port()), program=LEGIONIO)
        assert meta["pid"] > 0
    yield c
    if request.param == "daemon":
        c.run("stop", program=LEGIONIO)


def test_chain_with_condition_and_transformation(cli: Cli) -> None:
    rel = cli.run(
        "relationship",
        "create",
        "--trigger",
        "ping.ping.ping",
        "--action",
        "log.message.write",
        "--conditions",
        '{"all": [{"fact": "results.reply", "operator": "equal", "value": "pong"}]}',
        "--transformation",
        '{"message": {{ ("ping said " ~ results.reply) | tojson }}}',
    )
    assert rel["id"] >= 1
    run = cli.run("task", "run", "ping.ping.ping", "message=hello", "--wait")
    assert run["status"] == "completed" and run["result"]["message"] == "hello"
    root = cli.run("task", "show", run["task_id"])
    assert [c["function"] for c in root["children"]] == ["log.message.write"]
    child = cli.run("task", "show", root["children"][0]["task_id"])
    assert child["status"] == "completed"
    assert child["args"]["message"] == "ping said pong"
    assert child["result"]["message"] == "ping said pong"
    assert child["parent_id"] == run["task_id"] and child["master_id"] == run["task_id"]
    assert [line["status"] for line in child["log"]][-1] == "completed"


def test_bad_input_exits_2_and_writes_nothing(cli: Cli) -> None:
    for args in (
        ["task", "run", "nope.nope.nope"],
        ["task", "run", "ping.ping.ping", "bogus=1"],
        ["task", "run", "ping.ping.ping", "--payload", "{not json"],
        [
            "relationship",
            "create",
            "--trigger",
            "ping.ping.ping",
            "--action",
            "ping.ping.ping",
            "--conditions",
            '{"all": [{"fact": "a", "operator": "equals", "value": 1}]}',
        ],
        [
            "relationship",
            "create",
            "--trigger",
            "ping.ping.ping",
            "--action",
            "ping.ping.ping",
            "--transformation",
            "{{ broken",
        ],
        ["task", "show", "0" * 32],
    ):
        out = cli.run(*args, ok=False)
        assert isinstance(out, dict) and "error" in out, args
    assert cli.run("task", "list", "--function", "ping.ping.ping")["total"] == 0
    assert cli.run("relationship", "list") == []


def test_queued_without_daemon_runs_when_one_starts(tmp_path: Path) -> None:
    c = Cli(tmp_path / "home")
    queued = c.run("task", "run", "ping.ping.ping", "message=later")
    assert queued["status"] == "queued"
    c.run("start", "-d", "--http-port", str(free_port()), program=LEGIONIO)
    try:
        run = c.run("task", "run", "ping.ping.ping", "--wait")  # the daemon is up and working
        assert run["status"] == "completed"
        shown = c.run("task", "show", queued["task_id"])
        for _ in range(100):
            if shown["status"] == "completed":
                break
            shown = c.run("task", "show", queued["task_id"])
        assert shown["status"] == "completed" and shown["result"]["message"] == "later"
    finally:
        c.run("stop", program=LEGIONIO)


def test_daemon_files_are_private_and_the_token_stays_out_of_metadata(tmp_path: Path) -> None:
    c = Cli(tmp_path / "home")
    meta = c.run("start", "-d", "--http-port", str(free_port()), program=LEGIONIO)
    try:
        run_dir = c.home / "run"
        token = (run_dir / "daemon.token").read_text().strip()
        for name in ("daemon.json", "daemon.token"):
            assert stat.S_IMODE((run_dir / name).stat().st_mode) == 0o600
        assert stat.S_IMODE(Path(meta["socket"]).stat().st_mode) == 0o600
        assert token not in (run_dir / "daemon.json").read_text()
        status = c.run("status", program=LEGIONIO)
        assert status["daemon"]["pid"] == meta["pid"] and status["node"]["engine_running"]
        again = c.run("start", "-d", program=LEGIONIO, ok=False)
        assert "already runs" in again["error"]["message"]
    finally:
        stopped = c.run("stop", program=LEGIONIO)
    assert stopped["stopped"] is True
    assert not (c.home / "run" / "daemon.json").exists()
    assert c.run("status", program=LEGIONIO)["daemon"] is None
