"""`/metrics` on a running node: Prometheus text of the engine's tasks, open like health."""

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

LEGION = [sys.executable, "-c", "from legion.app.cli.main import legion; legion()"]


def scrape(base: str) -> str:
    with urllib.request.urlopen(f"{base}/metrics", timeout=10) as r:
        assert r.headers["content-type"].startswith("text/plain")
        return str(r.read().decode())


def sample(text: str, name: str) -> float:
    for line in text.splitlines():
        series, _, value = line.rpartition(" ")
        if series == name:
            return float(value)
    return 0.0


def test_metrics_count_tasks_by_status_and_time_them(node_process: Callable[..., Any]) -> None:
    base, _ = node_process(env={"LEGION_TELEMETRY__METRICS": "true"})
    before = scrape(base)  # housekeeping actors may have run tasks already
    completed = 'legion_tasks_total{status="completed"}'
    ping_runs = 'legion_task_run_seconds_count{function="ping.ping.ping"}'
    assert sample(before, ping_runs) == 0.0
    for _ in range(3):
        out = subprocess.run(
            [*LEGION, "task", "run", "ping.ping.ping", "--wait", "--json"],
            capture_output=True,
            text=True,
            timeout=120,
            env=dict(os.environ),
        )
        assert out.returncode == 0, out.stderr
        assert json.loads(out.stdout)["status"] == "completed"
    after = scrape(base)
    assert sample(after, completed) >= sample(before, completed) + 3
    assert sample(after, ping_runs) == 3.0
    queued = "legion_task_queue_seconds_count"
    assert sample(after, queued) >= sample(before, queued) + 3
    assert "# TYPE legion_task_run_seconds histogram" in after


def test_metrics_off_in_lite_mode_by_default_says_how_to_turn_them_on(
    node_process: Callable[..., Any],
) -> None:
    base, _ = node_process()
    try:
        urllib.request.urlopen(f"{base}/metrics", timeout=10)
        raise AssertionError("metrics answered while off")
    except urllib.error.HTTPError as exc:
        assert exc.code == 404
        error = json.load(exc)["error"]
        assert error["code"] == "not_found" and "telemetry.metrics" in error["hint"]
