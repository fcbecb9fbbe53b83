"""Full mode: Legion on RabbitMQ + PostgreSQL side by side with Celery and raw Dramatiq, one run.

Every system gets worker processes of its own (started, and consuming, before any clock runs),
a queue name or prefix of its own, and a publisher in this process; all three use the same
RabbitMQ with publisher confirms and late acknowledgement.
  Legion    `legionio start --worker --processes 2 --threads 4`; tasks persisted in a scratch
            PostgreSQL schema; a task is done when its row is `completed`
  Celery    `celery worker -P prefork -c 2`, task_acks_late, confirm_publish; the task INCRs Redis
  Dramatiq  `dramatiq --processes 2 --threads 4`, RabbitmqBroker(confirm_delivery=True); INCRs Redis
Scenarios, each repeated --runs times after a warm-up (medians reported):
  throughput  --tasks no-op tasks, first publish -> last completion
  chain       a 20-step chain (Legion: 19 relationships step_01 -> ... -> step_20; Celery:
              chain of 20 .si(); Dramatiq: pipeline of 20 messages); time per step
  scaling     Legion throughput with 1, 2 and 4 worker processes (--scaling-tasks)
  rss         Legion workers' RSS (VmRSS of the supervisor's children, every second) over
              --rss-tasks tasks: after warm-up (first 10%) vs at the end

Run: `.venv/bin/python tools/bench/full_mode.py [--runs 5] [--tasks 20000] [--no-rss] [--json]`
(after `uv sync --all-packages --group bench`; RabbitMQ, PostgreSQL and Redis on 127.0.0.1, or
LEGION_BENCH_AMQP_URL / LEGION_BENCH_POSTGRES_URL / LEGION_BENCH_REDIS_URL).
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
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

SYSTEMS = ("legion", "celery", "dramatiq")
INSTALL = "uv sync --all-packages --group bench"
CONFIGS = {
    "legion": "Legion full mode: legionio --worker --processes 2 --threads 4, PostgreSQL store",
    "celery": "Celery amqp, acks_late, confirm_publish, prefork -c 2",
    "dramatiq": "Dramatiq RabbitmqBroker(confirm_delivery), --processes 2 --threads 4",
}
CHAIN_NOTES = {
    "legion": "19 relationships step_01 → step_20; every step persisted",
    "celery": "chain(20 x noop.si()), no persistence",
    "dramatiq": "pipeline(20 messages, pipe_ignore), no persistence",
}
GOALS = (
    # goal, target, metric, peer, limit, higher is better
    ("throughput vs Celery", "≥ 3.0x", "throughput", "celery", 3.0, True),
    ("throughput vs raw Dramatiq", "≥ 0.8x", "throughput", "dramatiq", 0.8, True),
    ("chain time per step vs Celery", "≤ 0.5x", "chain", "celery", 0.5, False),
)


# -- measuring ------------------------------------------------------------------------------------
class Phase:
    """The progress bar: one unit per run (warm-ups included)."""

    def __init__(self, progress: Any, total: int) -> None:
        self.progress = progress
        self.bar = progress.add_task("starting", total=total)

    def say(self, text: str) -> None:
        self.progress.update(self.bar, description=text)

    def step(self) -> None:
        self.progress.advance(self.bar)


def open_system(system: str, processes: int = 2) -> Any:
    if system == "legion":
        from _full_legion import LegionCluster

        return LegionCluster(processes)
    from _full_peers import PEERS

    return PEERS[system](processes)


def timed_runs(
    phase: Phase, label: str, runs: int, fn: Callable[[], dict[str, Any]]
) -> list[dict[str, Any]]:
    out = []
    for index in range(runs):
        phase.say(f"{label} run {index + 1}/{runs}")
        before = _load1()
        result = fn()
        result["load1_before"], result["load1_after"] = before, _load1()
        out.append(result)
        phase.step()
    return out


def measure_system(system: str, args: argparse.Namespace, phase: Phase) -> dict[str, Any]:
    result: dict[str, Any] = {"system": system, "config": CONFIGS[system], "load_before": _load()}
    phase.say(f"{system}: starting workers")
    started = time.perf_counter()
    bench = open_system(system)
    try:
        result["startup_s"] = time.perf_counter() - started
        phase.say(f"{system}: warm-up")
        bench.throughput(min(args.warmup_tasks, args.tasks))
        bench.chain(1)
        phase.step()
        result["throughput"] = timed_runs(
            phase, f"{system} throughput (n={args.tasks:,})", args.runs,
            lambda: bench.throughput(args.tasks),
        )  # fmt: skip
        result["chain"] = timed_runs(
            phase, f"{system} chain x{args.chain_repeats}", args.runs,
            lambda: bench.chain(args.chain_repeats),
        )  # fmt: skip
    finally:
        phase.say(f"{system}: stopping workers")
        bench.close()
    result["load_after"] = _load()
    return result


def measure_scaling(args: argparse.Namespace, phase: Phase) -> list[dict[str, Any]]:
    out = []
    for processes in args.scaling_processes:
        phase.say(f"legion scaling: starting {processes} worker process(es)")
        entry: dict[str, Any] = {"processes": processes, "load_before": _load()}
        bench = open_system("legion", processes)
        try:
            bench.throughput(min(args.warmup_tasks, args.scaling_tasks))
            phase.step()
            run_once = lambda b=bench: b.throughput(args.scaling_tasks)  # noqa: E731
            label = f"legion scaling {processes} proc (n={args.scaling_tasks:,})"
            entry["throughput"] = timed_runs(phase, label, args.runs, run_once)
        finally:
            bench.close()
        entry["load_after"] = _load()
        out.append(entry)
    return out


def measure_rss(args: argparse.Namespace, phase: Phase) -> dict[str, Any]:
    phase.say(f"legion RSS over {args.rss_tasks:,} tasks: starting workers")
    bench = open_system("legion", 2)
    try:
        phase.say(f"legion RSS over {args.rss_tasks:,} tasks (sampling every second)")
        before = _load1()
        out = bench.rss(args.rss_tasks)
        out["load1_before"], out["load1_after"] = before, _load1()
    finally:
        bench.close()
    phase.step()
    return out


def measure(args: argparse.Namespace) -> dict[str, Any]:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    total = len(args.only) * (1 + 2 * args.runs)
    total += len(args.scaling_processes) * (1 + args.runs) if args.scaling else 0
    total += 1 if args.rss else 0
    doc: dict[str, Any] = {"systems": [], "scaling": [], "rss": None}
    columns = (TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, transient=True, disable=args.json) as progress:
        phase = Phase(progress, total)
        for system in args.only:
            doc["systems"].append(measure_system(system, args, phase))
        if args.scaling:
            doc["scaling"] = measure_scaling(args, phase)
        if args.rss:
            doc["rss"] = measure_rss(args, phase)
    return doc


# -- summarising ----------------------------------------------------------------------------------
def median(runs: list[dict[str, Any]], key: str) -> float:
    values = [r[key] for r in runs if isinstance(r.get(key), int | float) and "incomplete" not in r]
    return statistics.median(values) if values else float("nan")


def spread(runs: list[dict[str, Any]], key: str) -> tuple[float, float]:
    values = [r[key] for r in runs if isinstance(r.get(key), int | float)]
    return (min(values), max(values)) if values else (float("nan"), float("nan"))


def summarise(doc: dict[str, Any]) -> None:
    """Add medians and goals to the document."""
    for s in doc["systems"]:
        s["median"] = {
            "tasks_per_s": median(s["throughput"], "tasks_per_s"),
            "throughput_s": median(s["throughput"], "seconds"),
            "enqueue_s": median(s["throughput"], "enqueue_s"),
            "ms_per_step": median(s["chain"], "ms_per_step"),
        }
    for e in doc["scaling"]:
        e["median"] = {"tasks_per_s": median(e["throughput"], "tasks_per_s")}
    doc["goals"] = goals(doc)


def system(doc: dict[str, Any], name: str) -> dict[str, Any] | None:
    return next((s for s in doc["systems"] if s["system"] == name), None)


def goals(doc: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    legion = system(doc, "legion")
    for goal, target, metric, peer, limit, higher in GOALS:
        other = system(doc, peer)
        if legion is None or other is None:
            continue
        key = "tasks_per_s" if metric == "throughput" else "ms_per_step"
        mine, theirs = legion["median"][key], other["median"][key]
        value = mine / theirs if theirs == theirs and theirs else float("nan")
        met = (value >= limit if higher else value <= limit) if value == value else False
        unit = "tasks/s" if metric == "throughput" else "ms/step"
        detail = f"Legion {fmt(mine)} vs {peer} {fmt(theirs)} {unit}"
        out.append({"goal": goal, "target": target, "value": value, "met": met, "detail": detail})
    return out


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


def ratio(x: float | None) -> str:
    return "—" if x is None or x != x else f"{x:.2f}x"


def _incomplete(runs: list[dict[str, Any]]) -> str:
    bad = sum(1 for r in runs if "incomplete" in r)
    return f"{bad} run(s) INCOMPLETE (timed out), left out of the median" if bad else ""


def _loads(runs: list[dict[str, Any]]) -> str:
    ones = [x for r in runs for x in (r["load1_before"], r["load1_after"])]
    return f"{min(ones):.1f}-{max(ones):.1f}" if ones else "—"


def throughput_table(doc: dict[str, Any]) -> list[str]:
    legion = system(doc, "legion")
    lines = [
        "| config | tasks/s | median s | publish s | min-max s | Legion tasks/s ÷ this "
        "| 1-min load | note |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for s in doc["systems"]:
        m = s["median"]
        lo, hi = spread(s["throughput"], "seconds")
        vs = legion["median"]["tasks_per_s"] / m["tasks_per_s"] if legion else None
        note = "every task persisted (PostgreSQL)" if s["system"] == "legion" else "no persistence"
        note = "; ".join(x for x in (note, _incomplete(s["throughput"])) if x)
        lines.append(
            f"| {s['config']} | {fmt(m['tasks_per_s'])} | {fmt(m['throughput_s'])} "
            f"| {fmt(m['enqueue_s'])} | {fmt(lo)}-{fmt(hi)} | {ratio(vs)} "
            f"| {_loads(s['throughput'])} | {note} |"
        )
    return lines


def chain_table(doc: dict[str, Any], repeats: int) -> list[str]:
    legion = system(doc, "legion")
    lines = [
        "| config | ms/step | min-max ms/step | s per chain | Legion ms/step ÷ this "
        "| 1-min load | note |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for s in doc["systems"]:
        m = s["median"]
        lo, hi = spread(s["chain"], "ms_per_step")
        vs = legion["median"]["ms_per_step"] / m["ms_per_step"] if legion else None
        note = "; ".join(x for x in (CHAIN_NOTES[s["system"]], _incomplete(s["chain"])) if x)
        lines.append(
            f"| {s['config']} | {fmt(m['ms_per_step'])} | {fmt(lo)}-{fmt(hi)} "
            f"| {fmt(m['ms_per_step'] * 20 / 1000)} | {ratio(vs)} | {_loads(s['chain'])} "
            f"| {note} |"
        )
    return lines


def scaling_table(doc: dict[str, Any]) -> list[str]:
    lines = [
        "| worker processes (x 4 threads) | tasks/s | min-max tasks/s | ÷ 1 process | 1-min load "
        "| note |",
        "|---:|---:|---:|---:|---:|---|",
    ]
    base = next((e["median"]["tasks_per_s"] for e in doc["scaling"] if e["processes"] == 1), None)
    for e in doc["scaling"]:
        tps = e["median"]["tasks_per_s"]
        lo, hi = spread(e["throughput"], "tasks_per_s")
        vs = tps / base if base else None
        lines.append(
            f"| {e['processes']} | {fmt(tps)} | {fmt(lo)}-{fmt(hi)} | {ratio(vs)} "
            f"| {_loads(e['throughput'])} | {_incomplete(e['throughput'])} |"
        )
    return lines


def rss_table(rss: dict[str, Any]) -> list[str]:
    if "error" in rss:
        return [f"RSS: {rss['error']}"]
    note = []
    if not rss["same_processes"]:
        note.append("a worker process was replaced during the run (compared: the survivors)")
    if rss["completed"] < rss["tasks"]:
        note.append(f"only {rss['completed']:,} of {rss['tasks']:,} completed")
    return [
        "| tasks | worker processes | RSS after warm-up MiB | RSS at end MiB | growth | peak MiB "
        "| tasks/s | samples | note |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---|",
        f"| {rss['tasks']:,} | {rss['processes_end']} | {fmt(rss['warm_mib'])} "
        f"| {fmt(rss['end_mib'])} | {rss['growth_pct']:+.1f}% | {fmt(rss['peak_mib'])} "
        f"| {fmt(rss['tasks_per_s'])} | {rss['samples']} | {'; '.join(note)} |",
        "",
        "Per process (MiB, after warm-up → end): "
        + ", ".join(f"{a} → {b}" for a, b in rss["per_process_mib"].values()),
    ]


def goals_table(rows: list[dict[str, Any]]) -> list[str]:
    lines = ["| goal | target | measured | met | |", "|---|---|---:|---|---|"]
    for g in rows:
        met = "met" if g["met"] else "NOT met"
        lines.append(
            f"| {g['goal']} | {g['target']} | {ratio(g['value'])} | {met} | {g['detail']} |"
        )
    return lines


def report(doc: dict[str, Any], args: argparse.Namespace) -> str:
    info = doc["meta"]
    v = info["versions"]
    lines = [
        f"Medians of {info['runs']} timed runs after a warm-up; {info['date']}, "
        f"{info['cores']} cores, Python {info['python']}, legion-core {v['legion-core']} "
        f"({info['commit']}), Celery {v['celery']}, Dramatiq {v['dramatiq']}, "
        f"RabbitMQ, PostgreSQL and Redis on the same machine.",
        f"Load average (1/5/15 min) at start {_triple(info['loadavg_before'])}, at end "
        f"{_triple(info['loadavg_after'])}; {info['elapsed_s']:.0f} s in all.",
        "",
    ]
    if doc["systems"]:
        lines += [
            f"#### Throughput: {args.tasks:,} no-op tasks (first publish → last completion)",
            "",
            *throughput_table(doc),
            "",
            f"#### 20-step chain ({args.chain_repeats} chains one after another per run; "
            "submit → last step done)",
            "",
            *chain_table(doc, args.chain_repeats),
            "",
        ]
    if doc["scaling"]:
        lines += [
            f"#### Legion scaling: {args.scaling_tasks:,} no-op tasks",
            "",
            *scaling_table(doc),
            "",
        ]
    if doc["rss"]:
        lines += [
            f"#### Legion worker RSS over {args.rss_tasks:,} tasks (2 processes x 4 threads)",
            "",
            *rss_table(doc["rss"]),
            "",
        ]
    if doc["goals"]:
        lines += ["#### Goals", "", *goals_table(doc["goals"]), ""]
    return "\n".join(lines)


def _triple(load: Any) -> str:
    return "/".join(f"{x:.2f}" for x in load)


# -- meta -----------------------------------------------------------------------------------------
def _load() -> tuple[float, float, float]:
    from _full_services import loadavg

    return loadavg()


def _load1() -> float:
    return _load()[0]


def versions() -> dict[str, str]:
    found = {}
    for dist in ("legion-core", "legionio", "celery", "dramatiq", "kombu", "pika"):
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
    dirty = git("status", "--porcelain", "--", "packages/legion-core/src", "packages/legionio/src")
    return head + (" + uncommitted changes in legion-core/legionio" if dirty else "")


def meta(args: argparse.Namespace, load: tuple[float, float, float], started: float) -> dict:
    return {
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "python": platform.python_version(),
        "cores": os.cpu_count(),
        "runs": args.runs,
        "tasks": args.tasks,
        "chain_repeats": args.chain_repeats,
        "scaling_tasks": args.scaling_tasks if args.scaling else None,
        "rss_tasks": args.rss_tasks if args.rss else None,
        "versions": versions(),
        "commit": commit(),
        "loadavg_before": load,
        "loadavg_after": _load(),
        "elapsed_s": round(time.perf_counter() - started, 1),
    }


# -- entry point ----------------------------------------------------------------------------------
def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add = parser.add_argument
    add("--runs", type=int, default=5, help="timed runs per scenario (default 5)")
    add("--tasks", type=int, default=20_000, help="tasks per throughput run (default 20,000)")
    add("--warmup-tasks", type=int, default=1_000, help="tasks in the warm-up run (default 1,000)")
    add("--chain-repeats", type=int, default=3, help="20-step chains per chain run (default 3)")
    add("--only", default=",".join(SYSTEMS), help="systems, e.g. legion,celery")
    add("--scaling", action=argparse.BooleanOptionalAction, default=True, help="Legion 1/2/4 procs")
    add("--scaling-tasks", type=int, default=3_000, help="tasks per scaling run (default 3,000)")
    add("--scaling-processes", default="1,2,4", help="worker process counts (default 1,2,4)")
    add("--rss", action=argparse.BooleanOptionalAction, default=True, help="the RSS scenario")
    add("--rss-tasks", type=int, default=200_000, help="tasks of the RSS run (default 200,000)")
    add("--json", action="store_true", help="print JSON instead of markdown")
    add("--json-out", type=Path, help="also write the JSON document to this file")
    args = parser.parse_args(argv)
    chosen = [x.strip() for x in args.only.split(",") if x.strip()]
    if not chosen or any(x not in SYSTEMS for x in chosen):
        parser.error(f"--only: choose from {', '.join(SYSTEMS)} (got {args.only!r})")
    args.only = [s for s in SYSTEMS if s in chosen]
    try:
        args.scaling_processes = [int(x) for x in args.scaling_processes.split(",") if x.strip()]
    except ValueError:
        parser.error(f"--scaling-processes: numbers, e.g. 1,2,4 (got {args.scaling_processes!r})")
    for name in ("runs", "tasks", "warmup_tasks", "chain_repeats", "scaling_tasks", "rss_tasks"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if any(p < 1 for p in args.scaling_processes):
        parser.error("--scaling-processes: each at least 1")
    return args


def quiet_logs() -> None:
    import logging

    for name in ("dramatiq", "pika", "kombu", "celery", "amqp"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    try:
        from loguru import logger

        logger.remove()
    except ImportError:
        pass


def run(args: argparse.Namespace) -> int:
    from importlib.util import find_spec

    from _full_services import check_services

    missing = [m for m in ("celery", "dramatiq", "redis", "pika", "rich") if find_spec(m) is None]
    if missing:
        raise _Fail(f"{', '.join(missing)} not installed ({INSTALL})")
    quiet_logs()
    check_services()
    started, load = time.perf_counter(), _load()
    doc = measure(args)
    doc["meta"] = meta(args, load, started)
    summarise(doc)
    if args.json_out:
        args.json_out.write_text(json.dumps(doc, indent=2, default=str) + "\n")
    if args.json:
        print(json.dumps(doc, indent=2, default=str))
    else:
        print(report(doc, args))
    return 0


class _Fail(Exception):
    pass


def main() -> None:
    args = parse()
    try:
        code = run(args)
    except KeyboardInterrupt:
        print("full_mode: interrupted (workers stopped, scratch queues and schema removed)",
              file=sys.stderr)  # fmt: skip
        code = 130
    except Exception as exc:  # one line, never a traceback
        from _full_services import BenchError

        text = str(exc).strip().splitlines()
        line = text[0] if text else ""
        kind = "" if isinstance(exc, BenchError | _Fail) else f"{type(exc).__name__}: "
        print(f"full_mode: error: {kind}{line}"[:400], file=sys.stderr)
        code = 2
    sys.exit(code)


if __name__ == "__main__":
    main()
