"""`legion task run --wait` against a cluster: the CLI publishes the task, a worker process
runs it, and the worker's reply brings the result back."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

CLI = "import sys; from legion.app.cli.main import legion; sys.argv[0] = 'legion'; legion()"


def legion(cluster: Any, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", CLI, *args],
        env=cluster.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_task_run_wait_gets_the_result_from_a_worker(cluster: Any) -> None:
    cluster.start_workers(processes=1, threads=2)
    queue = f"{cluster.prefix}.faulty.runners.work"
    cluster.wait_for("a consumer", lambda: cluster.consumers(queue) == 1, timeout=90)
    done = legion(cluster, "task", "run", "faulty.work.run", "key=k1", "--wait", "--json")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["status"] == "completed" and out["result"] == {"key": "k1", "effect": "done"}
    runs = [pid for kind, key, pid in cluster.journal_lines() if kind == "start" and key == "k1"]
    assert len(runs) == 1 and runs[0] != os.getpid()  # a worker process ran it
    assert cluster.count("SELECT count(*) FROM tasks WHERE status = 'completed'") >= 1
