"""CLI start-up time: `legion --help`, `legion lex list --json`, `legionio --version`, side by side
with a bare `python -c "import click"` in the same run. Medians of N runs after a warm-up.

Run: `.venv/bin/python tools/bench/cli_startup.py [--runs 5] [--json]`
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def commands() -> dict[str, list[str]]:
    return {
        'python -c "import click" (baseline)': [sys.executable, "-c", "import click"],
        "legion --help": [str(BIN / "legion"), "--help"],
        "legion lex list --json": [str(BIN / "legion"), "lex", "list", "--json"],
        "legionio --version": [str(BIN / "legionio"), "--version"],
    }


def time_once(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def measure(runs: int) -> dict[str, list[float]]:
    from rich.progress import Progress

    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "LEGION_HOME": home, "LEGION_SETTINGS_DIRS": home}
        cmds = commands()
        results: dict[str, list[float]] = {name: [] for name in cmds}
        with Progress(transient=True) as progress:
            task = progress.add_task("timing", total=len(cmds) * (runs + 1))
            # Interleave commands so machine noise hits them alike.
            for i in range(runs + 1):
                for name, argv in cmds.items():
                    elapsed = time_once(argv, env)
                    if i > 0:  # the first round is the warm-up
                        results[name].append(elapsed)
                    progress.advance(task)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = measure(args.runs)
    baseline = statistics.median(next(iter(results.values())))
    rows = [
        {
            "command": name,
            "median_ms": round(statistics.median(v) * 1000, 1),
            "min_ms": round(min(v) * 1000, 1),
            "max_ms": round(max(v) * 1000, 1),
            "vs_baseline": round(statistics.median(v) / baseline, 2),
        }
        for name, v in results.items()
    ]
    if args.json:
        print(json.dumps({"runs": args.runs, "python": sys.version.split()[0], "rows": rows}))
        return
    print(
        f"| command | median ms | min ms | max ms | x baseline |  (runs={args.runs}, "
        f"Python {sys.version.split()[0]})"
    )
    print("|---|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| `{r['command']}` | {r['median_ms']} | {r['min_ms']} | {r['max_ms']} | "
            f"{r['vs_baseline']} |"
        )


if __name__ == "__main__":
    main()
