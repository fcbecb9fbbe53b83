"""Task engine (lite mode): Legion's engine side by side with Celery, Dramatiq and Huey in one run.

Three workloads, each configuration in its own fresh process, a warm-up run then N timed runs:
  throughput  N no-op tasks; Legion persists every task (SQLite), the clock stops after
              `store.flush()`; tasks/s and process CPU µs/task
  chains      N chains A -> [condition] -> B -> [transformation] -> C; time per step
  latency     N tasks one at a time, submit call -> first line of the body; p50/p99
Medians of the timed runs, ratios against the peers, machine load before/after each process.

Run: `.venv/bin/python tools/bench/engine.py [--runs 5] [--quick] [--only legion,huey] [--json]`
(the peers come from the `bench` dependency group: `uv sync --all-packages --group bench`).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import IO, Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SYSTEMS = ("legion", "huey", "dramatiq", "celery")  # the goal peers run right after Legion
WORKLOADS = ("throughput", "chains", "latency")
SIZES = {"throughput": 20_000, "chains": 2_000, "latency": 1_000}
QUICK_SIZES = {"throughput": 2_000, "chains": 200, "latency": 200}
CONFIGS = {
    "legion": "Legion lite engine, {workers} workers, SQLite store",
    "celery": "Celery memory:// (poll 1 ms), embedded threads worker c=2",
    "dramatiq": "Dramatiq StubBroker + Worker, worker_threads=2",
    "huey": "Huey MemoryHuey, consumer with 2 worker threads (poll 1 ms)",
}
NOTES = {
    ("legion", "throughput"): "every task persisted; clock stops after store.flush()",
    ("legion", "chains"): "A→B condition on A's result, B→C Jinja transformation; all persisted",
    ("legion", "latency"): "next task sent after engine.wait() (task finished and recorded)",
    ("celery", "chains"): "chain(3 x .si()), no condition/transform",
    ("dramatiq", "chains"): "pipeline(pipe_ignore), no condition/transform",
    ("huey", "chains"): ".then() x 2, no condition/transform",
}
PEER_NOTE = {"throughput": "no persistence", "chains": "no persistence", "latency": ""}
INSTALL = "uv sync --all-packages --group bench"
BUSY = 0.25  # other processes using more cores than this during a run get flagged


# -- child process --------------------------------------------------------------------------------
def make_bench(system: str, legion_workers: int | None) -> Any:
    if system == "legion":
        from engine_legion import LegionBench

        return LegionBench(legion_workers)
    from engine_peers import PEERS

    return PEERS[system]()


def child(system: str, workload: str, size: int, runs: int, legion_workers: int | None) -> None:
    """Run one configuration; JSON lines go to the original stdout, stray prints to stderr."""
    from engine_common import run_config

    out: IO[str] = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)

    def emit(event: dict[str, Any]) -> None:
        out.write(json.dumps(event) + "\n")

    started = time.perf_counter()
    bench = make_bench(system, legion_workers)
    info = {"setup_s": time.perf_counter() - started, "workers": getattr(bench, "workers", None)}
    emit({"event": "ready", "info": info})
    runs_out = run_config(bench, workload, size, runs, emit)
    bench.close()
    emit({"event": "done", "runs": runs_out})
    out.flush()
    os._exit(0)  # peers leave non-daemon threads behind; the results are already out


# -- parent ---------------------------------------------------------------------------------------
@dataclass
class Result:
    system: str
    workload: str
    size: int
    runs: list[dict[str, Any]] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)
    load_before: tuple[float, float, float] = (0.0, 0.0, 0.0)
    load_after: tuple[float, float, float] = (0.0, 0.0, 0.0)
    error: str | None = None

    def median(self, key: str) -> float:
        values = [r[key] for r in self.runs if isinstance(r.get(key), int | float)]
        return statistics.median(values) if values else float("nan")

    def spread(self, key: str) -> tuple[float, float]:
        values = [r[key] for r in self.runs]
        return (min(values), max(values)) if values else (float("nan"), float("nan"))

    @property
    def ok(self) -> bool:
        return self.error is None and bool(self.runs)

    def as_dict(self) -> dict[str, Any]:
        keys = [k for k, v in (self.runs[0] if self.runs else {}).items() if _number(v)]
        return {
            "system": self.system,
            "workload": self.workload,
            "size": self.size,
            "config": config_name(self),
            "median": {k: self.median(k) for k in keys},
            "runs": self.runs,
            "info": self.info,
            "loadavg_before": self.load_before,
            "loadavg_after": self.load_after,
            "error": self.error,
        }


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def config_name(result: Result) -> str:
    return CONFIGS[result.system].format(workers=result.info.get("workers", "?"))


def read_loadavg() -> tuple[float, float, float]:
    from engine_common import loadavg

    return loadavg()


def child_argv(system: str, workload: str, size: int, args: argparse.Namespace) -> list[str]:
    argv = [sys.executable, str(Path(__file__).resolve()), "--child", system]
    argv += ["--workload", workload, "--size", str(size), "--runs", str(args.runs)]
    if args.legion_workers is not None:
        argv += ["--legion-workers", str(args.legion_workers)]
    return argv


def events(proc: subprocess.Popen[str]) -> Iterator[dict[str, Any]]:
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("{"):
            yield json.loads(line)


def run_child(
    system: str, workload: str, size: int, args: argparse.Namespace, advance: Callable[[], None]
) -> Result:
    result = Result(system, workload, size, load_before=read_loadavg())
    proc = subprocess.Popen(
        child_argv(system, workload, size, args),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    stderr: list[str] = []
    with _drain(proc, stderr):
        for event in events(proc):
            if event["event"] == "ready":
                result.info = event["info"]
            elif event["event"] == "run":
                advance()
            elif event["event"] == "done":
                result.runs = event["runs"]
        proc.wait()
    result.load_after = read_loadavg()
    if proc.returncode != 0 or not result.runs:
        result.error = f"exit {proc.returncode}: " + "".join(stderr[-5:]).strip()
    return result


class _drain:
    """Read the child's stderr in a thread so a chatty child never blocks on a full pipe."""

    def __init__(self, proc: subprocess.Popen[str], into: list[str]) -> None:
        import threading

        assert proc.stderr is not None
        stream = proc.stderr
        self._thread = threading.Thread(target=lambda: into.extend(stream), daemon=True)

    def __enter__(self) -> None:
        self._thread.start()

    def __exit__(self, *_: object) -> None:
        self._thread.join(timeout=5)


def missing_peers(systems: list[str]) -> list[str]:
    from importlib.util import find_spec

    return [s for s in systems if s != "legion" and find_spec(s) is None]


def measure(args: argparse.Namespace) -> list[Result]:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    sizes = QUICK_SIZES if args.quick else SIZES
    missing = missing_peers(args.only)
    plan = [(s, w) for w in args.workloads for s in args.only if s not in missing]
    results: list[Result] = [
        Result(s, w, sizes[w], error=f"{s} is not installed ({INSTALL})")
        for w in args.workloads
        for s in missing
    ]
    columns = (TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, transient=True) as progress:
        bar = progress.add_task("starting", total=len(plan) * (args.runs + 1))
        for system, workload in plan:
            progress.update(bar, description=f"{system} {workload} (n={sizes[workload]:,})")
            results.append(
                run_child(system, workload, sizes[workload], args, lambda: progress.advance(bar))
            )
    return sorted(results, key=lambda r: (WORKLOADS.index(r.workload), SYSTEMS.index(r.system)))


# -- report ---------------------------------------------------------------------------------------
def fmt(x: float) -> str:
    if x != x:  # NaN
        return "—"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    if abs(x) >= 100:
        return f"{x:.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    if abs(x) >= 1:
        return f"{x:.2f}"
    return f"{x:.3f}"


def ratio(x: float) -> str:
    return "—" if x != x else f"{x:.2f}x"


def find(results: list[Result], system: str, workload: str) -> Result | None:
    for r in results:
        if r.system == system and r.workload == workload and r.ok:
            return r
    return None


def note(r: Result) -> str:
    if r.error:
        return f"FAILED: {r.error[:200]}"
    parts = [PEER_NOTE[r.workload] if r.system != "legion" else ""]
    parts.append(NOTES.get((r.system, r.workload), ""))
    if any(not run.get("complete", True) for run in r.runs):
        parts.append("INCOMPLETE (timed out)")
    if any(run.get("persisted") is False for run in r.runs):
        parts.append("NOT every task persisted")
    busy = max((run.get("other_cores", 0.0) for run in r.runs), default=0.0)
    if busy > BUSY:
        parts.append(f"other procs used up to {busy:.2f} cores")
    return "; ".join(p for p in parts if p)


def throughput_table(results: list[Result]) -> list[str]:
    legion = find(results, "legion", "throughput")
    lines = [
        "| config | tasks/s | median s | enqueue s | CPU µs/task | min-max s "
        "| Legion tasks/s ÷ this | note |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in (r for r in results if r.workload == "throughput"):
        lo, hi = r.spread("seconds") if r.ok else (float("nan"), float("nan"))
        vs = legion.median("tasks_per_s") / r.median("tasks_per_s") if legion and r.ok else None
        lines.append(
            f"| {config_name(r)} | {fmt(r.median('tasks_per_s'))} | {fmt(r.median('seconds'))} "
            f"| {fmt(r.median('enqueue_s'))} | {fmt(r.median('cpu_us_per_task'))} "
            f"| {fmt(lo)}-{fmt(hi)} | {ratio(vs) if vs is not None else '—'} | {note(r)} |"
        )
    return lines


def chains_table(results: list[Result]) -> list[str]:
    legion = find(results, "legion", "chains")
    lines = [
        "| config | µs/step | steps/s | median s | CPU µs/step | enqueue s "
        "| Legion µs/step ÷ this | note |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in (r for r in results if r.workload == "chains"):
        vs = legion.median("us_per_step") / r.median("us_per_step") if legion and r.ok else None
        lines.append(
            f"| {config_name(r)} | {fmt(r.median('us_per_step'))} "
            f"| {fmt(r.median('steps_per_s'))} | {fmt(r.median('seconds'))} "
            f"| {fmt(r.median('cpu_us_per_step'))} | {fmt(r.median('enqueue_s'))} "
            f"| {ratio(vs) if vs is not None else '—'} | {note(r)} |"
        )
    return lines


def latency_table(results: list[Result]) -> list[str]:
    legion = find(results, "legion", "latency")
    lines = [
        "| config | p50 ms | p99 ms | max ms | submit p50 µs | CPU µs/task "
        "| Legion p50 ÷ this | Legion p99 ÷ this | note |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in (r for r in results if r.workload == "latency"):
        p50 = legion.median("p50_ms") / r.median("p50_ms") if legion and r.ok else None
        p99 = legion.median("p99_ms") / r.median("p99_ms") if legion and r.ok else None
        lines.append(
            f"| {config_name(r)} | {fmt(r.median('p50_ms'))} | {fmt(r.median('p99_ms'))} "
            f"| {fmt(r.median('max_ms'))} | {fmt(r.median('submit_p50_us'))} "
            f"| {fmt(r.median('cpu_us_per_task'))} | {ratio(p50) if p50 is not None else '—'} "
            f"| {ratio(p99) if p99 is not None else '—'} | {note(r)} |"
        )
    return lines


def goals(results: list[Result]) -> list[dict[str, Any]]:
    """The targets: (a) ≥ 1.0x Huey's throughput, (b) ≤ 1.0x Huey's time per step,
    (c) p50 ≤ 0.5x Dramatiq's and p99 ≤ 0.5 ms."""
    out: list[dict[str, Any]] = []

    def add(goal: str, target: str, value: float | None, met: bool | None, detail: str) -> None:
        out.append({"goal": goal, "target": target, "value": value, "met": met, "detail": detail})

    for workload, peer, key, goal, target, limit, higher in (
        ("throughput", "huey", "tasks_per_s", "(a) throughput vs Huey", "≥ 1.0x", 1.0, True),
        ("chains", "huey", "us_per_step", "(b) time per step vs Huey", "≤ 1.0x", 1.0, False),
        ("latency", "dramatiq", "p50_ms", "(c) dispatch p50 vs Dramatiq", "≤ 0.5x", 0.5, False),
    ):
        legion, other = find(results, "legion", workload), find(results, peer, workload)
        if legion is None or other is None:
            continue
        value = legion.median(key) / other.median(key)
        met = value >= limit if higher else value <= limit
        detail = f"Legion {fmt(legion.median(key))} vs {peer} {fmt(other.median(key))} ({key})"
        add(goal, target, value, met, detail)
    legion = find(results, "legion", "latency")
    if legion is not None:
        p99 = legion.median("p99_ms")
        add("(c) dispatch p99", "≤ 0.5 ms", p99, p99 <= 0.5, f"Legion p99 {fmt(p99)} ms")
    return out


def goals_table(rows: list[dict[str, Any]]) -> list[str]:
    lines = ["| goal | target | measured | met | |", "|---|---|---:|---|---|"]
    for g in rows:
        value = f"{fmt(g['value'])} ms" if g["target"].endswith("ms") else ratio(g["value"])
        lines.append(
            f"| {g['goal']} | {g['target']} | {value} | {'yes' if g['met'] else 'no'} "
            f"| {g['detail']} |"
        )
    return lines


def meta(
    args: argparse.Namespace, load: tuple[float, float, float], started: float
) -> dict[str, Any]:
    sizes = QUICK_SIZES if args.quick else SIZES
    return {
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "python": platform.python_version(),
        "cores": os.cpu_count(),
        "runs": args.runs,
        "sizes": {w: sizes[w] for w in args.workloads},
        "versions": versions(),
        "commit": commit(),
        "loadavg_before": load,
        "loadavg_after": read_loadavg(),
        "elapsed_s": round(time.perf_counter() - started, 1),
    }


def versions() -> dict[str, str]:
    found = {}
    for dist in ("legion-core", "celery", "dramatiq", "huey"):
        try:
            found[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            found[dist] = "not installed"
    return found


def commit() -> str:
    def git(*argv: str) -> str:
        done = subprocess.run(["git", *argv], cwd=ROOT, capture_output=True, text=True)
        return done.stdout.strip()

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--", "packages/legion-core/src")
    return head + (" + uncommitted changes in packages/legion-core/src" if dirty else "")


def report(results: list[Result], info: dict[str, Any]) -> str:
    sizes, load0, load1 = info["sizes"], info["loadavg_before"], info["loadavg_after"]
    v = info["versions"]
    lines = [
        f"Medians of {info['runs']} timed runs after a warm-up run, each configuration in a fresh "
        f"process; {info['date']}, {info['cores']} cores, Python {info['python']}, "
        f"legion-core {v['legion-core']} ({info['commit']}), Celery {v['celery']}, "
        f"Dramatiq {v['dramatiq']}, Huey {v['huey']}.",
        f"Load average (1/5/15 min) before {_load(load0)}, after {_load(load1)}; "
        f"per configuration: {_per_config_load(results)}.",
        "",
    ]
    sections = (
        ("throughput", f"(a) Throughput: {sizes.get('throughput', 0):,} no-op tasks "
         "(first submit → all done)", throughput_table),
        ("chains", f"(b) Chains: {sizes.get('chains', 0):,} chains x 3 steps "
         "(first submit → every C done)", chains_table),
        ("latency", f"(c) Dispatch latency: {sizes.get('latency', 0):,} tasks one at a time "
         "(submit call → first line of the body)", latency_table),
    )  # fmt: skip
    for workload, title, table in sections:
        if workload in sizes:
            lines += [f"#### {title}", "", *table(results), ""]
    rows = goals(results)
    if rows:
        lines += ["#### Goals", "", *goals_table(rows), ""]
    return "\n".join(lines)


def _load(load: tuple[float, float, float] | list[float]) -> str:
    return "/".join(f"{x:.2f}" for x in load)


def _per_config_load(results: list[Result]) -> str:
    ones = [x for r in results for x in (r.load_before[0], r.load_after[0])]
    return f"1-min load {min(ones):.2f}-{max(ones):.2f}" if ones else "—"


# -- entry point ----------------------------------------------------------------------------------
def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5, help="timed runs per configuration")
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--only", default=",".join(SYSTEMS), help="e.g. legion,huey")
    parser.add_argument("--workloads", default=",".join(WORKLOADS), help="e.g. chains,latency")
    parser.add_argument("--legion-workers", type=int, default=None, help="default: the engine's")
    parser.add_argument("--json", action="store_true", help="print JSON instead of markdown")
    parser.add_argument("--json-out", type=Path, help="also write the JSON document to this file")
    parser.add_argument(
        "--profile", action="store_true", help="profile Legion alone (CPU per thread, cProfile)"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--workload", help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.only = _choices(args.only, SYSTEMS, parser)
    args.workloads = _choices(args.workloads, WORKLOADS, parser)
    return args


def _choices(text: str, allowed: tuple[str, ...], parser: argparse.ArgumentParser) -> list[str]:
    chosen = [x.strip() for x in text.split(",") if x.strip()]
    unknown = [x for x in chosen if x not in allowed]
    if unknown or not chosen:
        parser.error(f"choose from {', '.join(allowed)} (got {text!r})")
    return [x for x in allowed if x in chosen]


def main() -> None:
    args = parse()
    if args.child:
        child(args.child, args.workload, args.size, args.runs, args.legion_workers)
        return
    if args.profile:
        from engine_profile import profile

        sizes = QUICK_SIZES if args.quick else SIZES
        print(profile(sizes["throughput"], sizes["chains"]))
        return
    started, load = time.perf_counter(), read_loadavg()
    results = measure(args)
    info = meta(args, load, started)
    doc = {"meta": info, "results": [r.as_dict() for r in results], "goals": goals(results)}
    if args.json_out:
        args.json_out.write_text(json.dumps(doc, indent=2) + "\n")
    if args.json:
        print(json.dumps(doc, indent=2))
    else:
        print(report(results, info))


if __name__ == "__main__":
    main()
