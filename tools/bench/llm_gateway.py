"""LLM gateway: legion-llm side by side with LiteLLM proxy, a thin passthrough and the mock itself.

Every target is its own process with one worker, all reading one generated config.yaml, all in
front of the same mock upstream processes; the load generator is a separate process per job.
  latency     non-streaming chat at c=1, 16, 64: p50/p99 added over direct-to-mock, RPS
  streaming   32-chunk streams, no delay: TTFT added at c=1, RPS at c=64
  integrity   500 concurrent streams of 64 chunks 20 ms apart: lost / merged / duplicated chunks
  failover    primary cut after k chunks (k = 0, 1, 5, 20), healthy secondary: exact answers
  rss         server RSS idle, after 10k and after --rss-n requests
Medians of --runs runs, interleaved (run r measures every target before run r+1 starts).

Run: `.venv/bin/python tools/bench/llm_gateway.py [--runs 5] [--quick] [--json FILE]
[--targets direct,thin,legion] [--markdown FILE]` (LiteLLM: `uv sync --group bench`).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]  # no types-PyYAML in the env
from llm_gateway_procs import Fleet, Server, free_port, http, rss_kib, wait_ready
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
PYTHON = sys.executable
BIN = Path(sys.executable).parent
TARGETS = ("direct", "thin", "litellm", "legion")
LABELS = {"direct": "direct", "thin": "thin", "litellm": "LiteLLM", "legion": "legion-llm"}
CHAT_CONCURRENCY = (1, 16, 64)
STREAM_CONCURRENCY = (1, 64)
FAILOVER_CUTS = (0, 1, 5, 20)
WORDS = {"bench": 32, "bench-slow": 64, "bench-failover": 32}
SLOW_DELAY_MS = 20
INTEGRITY_STREAMS = 500
RSS_CONCURRENCY = 16
LITELLM_RSS_CAP = 10_000  # LiteLLM serves tens of requests a second here; 100k would take hours
console = Console() if sys.stdout.isatty() else Console(width=120)


@dataclass
class Settings:
    runs: int
    duration: float
    warmup: float
    failover_n: int
    failover_concurrency: int
    rss_n: int
    targets: tuple[str, ...]
    workdir: Path


@dataclass
class Mocks:
    main: str  # 32-word answers, no delay: latency and streaming
    slow: str  # 64-word answers, 20 ms between chunks: integrity
    primary: str  # failover primary (faulted), 32 words
    secondary: str  # failover secondary (healthy), 32 words


@dataclass
class Target:
    name: str
    url: str = ""  # base, e.g. http://127.0.0.1:PORT
    server: Server | None = None
    pending: str | None = None  # why it is not measured

    def endpoint(self, model: str, mocks: Mocks) -> tuple[str, str]:
        """(chat completions URL, model to ask for)."""
        if self.name == "direct":
            base = {"bench": mocks.main, "bench-slow": mocks.slow}[model]
            return f"{base}/v1/chat/completions", "mock-model"
        return f"{self.url}/v1/chat/completions", model


@dataclass
class Report:
    """Everything measured; written whole by --json."""

    machine: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    pending: dict[str, str] = field(default_factory=dict)
    runs: dict[str, dict[str, list[dict[str, Any]]]] = field(default_factory=dict)
    integrity: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    failover: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    rss_kib: dict[str, dict[str, int]] = field(default_factory=dict)
    command: str = ""


# -- environment -------------------------------------------------------------------------------
def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for dist in ("litellm", "uvicorn", "aiohttp", "uvloop", "httptools", "legion-llm"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "not installed"
    try:
        head = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        out["legion-llm"] += f" (HEAD {head}, working tree)"
    except (OSError, subprocess.CalledProcessError):
        pass
    return out


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "kernel": platform.release(),
        "load_before": [round(x, 2) for x in os.getloadavg()],
    }


# -- the fleet ---------------------------------------------------------------------------------
def start_mock(fleet: Fleet, name: str, work: Path, words: int, delay_ms: float = 0.0) -> str:
    port = free_port()
    argv = [PYTHON, "-m", "legion.llm.testing.mock_upstream", "--host", "127.0.0.1"]
    argv += ["--port", str(port), "--words", str(words), "--chunk-delay-ms", str(delay_ms)]
    server = fleet.start(name, argv, work / f"{name}.log")
    url = f"http://127.0.0.1:{port}"
    probe = {"model": "mock-model", "messages": [{"role": "user", "content": "ready?"}]}
    wait_ready(server, f"{url}/v1/chat/completions", probe, {}, timeout=30)
    return url


def write_config(path: Path, mocks: Mocks, master_key: str) -> None:
    """One config.yaml for every target that reads one (thin, LiteLLM, legion-llm)."""

    def deployment(name: str, base: str, **extra: Any) -> dict[str, Any]:
        params = {"model": "openai/mock-model", "api_base": f"{base}/v1", "api_key": "sk-mock"}
        return {"model_name": name, "litellm_params": params, **extra}

    config = {
        "model_list": [
            deployment("bench", mocks.main),
            deployment("bench-slow", mocks.slow),
            # legion-llm's failover: one model, primary first by priority.
            deployment("bench-failover", mocks.primary, legion={"priority": 10}),
            deployment("bench-failover", mocks.secondary),
            # LiteLLM's: a fallback model group (its documented way to try one after the other).
            deployment("bench-failover-primary", mocks.primary),
            deployment("bench-failover-secondary", mocks.secondary),
        ],
        "router_settings": {
            "fallbacks": [{"bench-failover-primary": ["bench-failover-secondary"]}],
            # Every request must meet the failing primary, in both gateways.
            "disable_cooldowns": True,
        },
        "litellm_settings": {"telemetry": False},
        "general_settings": {"master_key": master_key},
        "legion": {"health": {"failure_threshold": 1_000_000_000}},
    }
    path.write_text(yaml.safe_dump(config, sort_keys=False))


def start_target(
    fleet: Fleet, name: str, config: Path, work: Path, mocks: Mocks, key: str
) -> Target:
    target = Target(name)
    if name == "direct":
        target.url = mocks.main
        return target
    port = free_port()
    host = ["--host", "127.0.0.1", "--port", str(port)]
    env = dict(os.environ)
    if name == "thin":
        argv = [PYTHON, str(HERE / "llm_gateway_thin.py"), "--config", str(config), *host]
        ready = 30.0
    elif name == "litellm":
        argv = [str(BIN / "litellm"), "--config", str(config), *host, "--num_workers", "1"]
        for var in ("DATABASE_URL", "STORE_MODEL_IN_DB", "LITELLM_MASTER_KEY"):
            env.pop(var, None)
        env.update(LITELLM_LOCAL_MODEL_COST_MAP="True", LITELLM_TELEMETRY="False")
        ready = 180.0
    else:
        argv = [str(BIN / "legion-llm"), "serve", "--config", str(config), *host]
        argv += ["--workers", "1"]
        ready = 60.0
    target.url = f"http://127.0.0.1:{port}"
    server = fleet.start(name, argv, work / f"{name}.log", env)
    target.server = server
    probe = {"model": "bench", "messages": [{"role": "user", "content": "ready?"}]}
    headers = {"Authorization": f"Bearer {key}"}
    try:
        wait_ready(server, f"{target.url}/v1/chat/completions", probe, headers, ready)
    except RuntimeError as exc:
        fleet.stop(server)
        target.server = None
        target.pending = str(exc).splitlines()[0][:300]
    return target


# -- load jobs -----------------------------------------------------------------------------------
class Runner:
    """Runs load-generator processes and shows their progress; each is killed if we stop."""

    def __init__(self, progress: Progress, work: Path, key: str) -> None:
        self.progress = progress
        self.work = work
        self.key = key
        self.current: TaskID = progress.add_task("", total=1, visible=False)

    def load(self, label: str, **job: Any) -> dict[str, Any]:
        job.setdefault("key", self.key)
        self.progress.update(self.current, description=label, completed=0, total=1, visible=True)
        argv = [PYTHON, str(HERE / "llm_gateway_load.py"), json.dumps(job)]
        with (self.work / "load.log").open("ab") as errors:
            proc = subprocess.Popen(
                argv, stdout=subprocess.PIPE, stderr=errors, start_new_session=True, text=True
            )
            result: dict[str, Any] | None = None
            try:
                assert proc.stdout is not None
                for line in proc.stdout:
                    event = json.loads(line)
                    if "progress" in event:
                        self.progress.update(
                            self.current, completed=event["progress"], total=event["total"]
                        )
                    elif "result" in event:
                        result = event["result"]
                proc.wait()
            finally:
                if proc.poll() is None:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
        if result is None:
            raise RuntimeError(f"load generator failed for {label}; see {self.work / 'load.log'}")
        return result


# -- the measurements ----------------------------------------------------------------------------
def measure_rss(
    runner: Runner, live: list[Target], mocks: Mocks, settings: Settings, report: Report
) -> None:
    for target in live:
        if target.server is None:
            continue
        pid = target.server.pid
        rss = {"idle": rss_kib(pid)}
        url, model = target.endpoint("bench", mocks)
        first = min(10_000, settings.rss_n)
        if target.name == "litellm":
            marks = [min(first, LITELLM_RSS_CAP)]
        else:
            marks = sorted({first, settings.rss_n})
        sent = 0
        for mark in marks:
            runner.load(
                f"RSS {LABELS[target.name]}: to {mark:,} requests",
                url=url,
                model=model,
                words=WORDS["bench"],
                stream=False,
                concurrency=RSS_CONCURRENCY,
                count=mark - sent,
                tag=f"rss{sent}-",
            )
            sent = mark
            time.sleep(1.0)
            rss[f"after_{mark}"] = rss_kib(pid)
        report.rss_kib[target.name] = rss


def measure_grid(
    runner: Runner, live: list[Target], mocks: Mocks, settings: Settings, report: Report
) -> None:
    grid = [(f"chat-c{c}", False, c) for c in CHAT_CONCURRENCY]
    grid += [(f"stream-c{c}", True, c) for c in STREAM_CONCURRENCY]
    for run in range(settings.runs):
        for key, stream, concurrency in grid:
            for target in live:
                url, model = target.endpoint("bench", mocks)
                result = runner.load(
                    f"run {run + 1}/{settings.runs} {key} {LABELS[target.name]}",
                    url=url,
                    model=model,
                    words=WORDS["bench"],
                    stream=stream,
                    concurrency=concurrency,
                    duration=settings.duration,
                    warmup=settings.warmup,
                    tag=f"g{run}{key}-",
                )
                report.runs.setdefault(target.name, {}).setdefault(key, []).append(result)
        for target in live:
            url, model = target.endpoint("bench-slow", mocks)
            result = runner.load(
                f"run {run + 1}/{settings.runs} {INTEGRITY_STREAMS} streams {LABELS[target.name]}",
                url=url,
                model=model,
                words=WORDS["bench-slow"],
                stream=True,
                concurrency=INTEGRITY_STREAMS,
                count=INTEGRITY_STREAMS,
                tag=f"i{run}-",
            )
            report.integrity.setdefault(target.name, []).append(result)


def measure_failover(
    runner: Runner, live: list[Target], mocks: Mocks, settings: Settings, report: Report
) -> None:
    per_cut = max(1, settings.failover_n // len(FAILOVER_CUTS))
    model = {"legion": "bench-failover", "litellm": "bench-failover-primary"}
    try:
        for target in live:
            if target.name not in model:
                continue
            for cut in FAILOVER_CUTS:
                http("POST", f"{mocks.primary}/_mock/fault", {"mode": "die_after", "chunks": cut})
                result = runner.load(
                    f"failover {LABELS[target.name]}: primary cut after {cut} chunks",
                    url=f"{target.url}/v1/chat/completions",
                    model=model[target.name],
                    words=WORDS["bench-failover"],
                    stream=True,
                    concurrency=settings.failover_concurrency,
                    count=per_cut,
                    tag=f"f{cut}-",
                )
                report.failover.setdefault(target.name, {})[str(cut)] = result
    finally:
        http("DELETE", f"{mocks.primary}/_mock/fault")


# -- summary -------------------------------------------------------------------------------------
def median(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def added(report: Report, target: str, key: str, field_name: str) -> float | None:
    """Median over runs of (target - direct) at the same percentile within the same run."""
    mine = report.runs.get(target, {}).get(key, [])
    base = report.runs.get("direct", {}).get(key, [])
    diffs: list[float | None] = []
    for a, b in zip(mine, base, strict=False):
        if a[field_name] is not None and b[field_name] is not None:
            diffs.append(a[field_name] - b[field_name])
    return median(diffs)


def stat(report: Report, target: str, key: str, field_name: str) -> float | None:
    return median([r[field_name] for r in report.runs.get(target, {}).get(key, [])])


def fmt(value: float | None, digits: int = 2, suffix: str = "") -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}{suffix}"


def ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b not in (None, 0) else None


@dataclass
class Sheet:
    """A table as plain rows, so it prints with rich and writes as Markdown from one source."""

    title: str
    headers: list[str]
    rows: list[list[str]] = field(default_factory=list)
    note: str = ""


def order(report: Report) -> list[str]:
    return [t for t in TARGETS if t in report.settings.get("targets", ())]


def sheets(report: Report) -> list[Sheet]:
    out: list[Sheet] = []
    chat = Sheet(
        "Non-streaming chat completions (32-word answers; medians of runs)",
        ["target", "c", "p50 ms", "added p50", "p99 ms", "added p99", "RPS", "% of direct", "err"],
    )
    for name in order(report):
        if name in report.pending:
            chat.rows.append([LABELS[name], "-", "pending", "", "", "", "", "", ""])
            continue
        for c in CHAT_CONCURRENCY:
            key = f"chat-c{c}"
            rps = stat(report, name, key, "rps")
            direct = stat(report, "direct", key, "rps")
            share = ratio(rps, direct)
            failed = sum(r["failed"] for r in report.runs[name][key])
            chat.rows.append(
                [
                    LABELS[name],
                    str(c),
                    fmt(stat(report, name, key, "p50_ms")),
                    "" if name == "direct" else fmt(added(report, name, key, "p50_ms")),
                    fmt(stat(report, name, key, "p99_ms")),
                    "" if name == "direct" else fmt(added(report, name, key, "p99_ms")),
                    fmt(rps, 0),
                    fmt(None if share is None else share * 100, 1, "%"),
                    str(failed),
                ]
            )
    odd = {
        LABELS[name]: sum(
            r.get("not_200", 0) for rs in report.runs.get(name, {}).values() for r in rs
        )
        for name in order(report)
    }
    odd = {name: n for name, n in odd.items() if n}
    if odd:
        chat.note = "Answered with a 2xx other than 200 (counted as success): " + ", ".join(
            f"{name} {n:,}" for name, n in odd.items()
        )
    out.append(chat)

    stream = Sheet(
        "Streaming chat completions (32 chunks, no delay; medians of runs)",
        ["target", "TTFT p50 c=1 ms", "added TTFT p50", "RPS c=64", "% of direct", "err"],
    )
    for name in order(report):
        if name in report.pending:
            stream.rows.append([LABELS[name], "pending", "", "", "", ""])
            continue
        rps = stat(report, name, "stream-c64", "rps")
        share = ratio(rps, stat(report, "direct", "stream-c64", "rps"))
        failed = sum(r["failed"] for k in ("stream-c1", "stream-c64") for r in report.runs[name][k])
        stream.rows.append(
            [
                LABELS[name],
                fmt(stat(report, name, "stream-c1", "ttft_p50_ms")),
                "" if name == "direct" else fmt(added(report, name, "stream-c1", "ttft_p50_ms")),
                fmt(rps, 0),
                fmt(None if share is None else share * 100, 1, "%"),
                str(failed),
            ]
        )
    out.append(stream)

    integrity = Sheet(
        f"{INTEGRITY_STREAMS} concurrent streams x 64 chunks, {SLOW_DELAY_MS} ms apart "
        "(totals over runs)",
        ["target", "streams exact", "chunks seen/expected", "lost", "merged", "dup", "err"],
    )
    for name in order(report):
        if name in report.pending:
            integrity.rows.append([LABELS[name], "pending", "", "", "", "", ""])
            continue
        results = report.integrity.get(name, [])
        total = sum(r["requests"] for r in results)
        seen = sum(r["chunks"] for r in results)
        integrity.rows.append(
            [
                LABELS[name],
                f"{sum(r['text_ok'] for r in results):,}/{total:,}",
                f"{seen:,}/{sum(r['expected_chunks'] for r in results):,}",
                str(sum(r["lost_chunks"] for r in results)),
                str(sum(r["merged_chunks"] for r in results)),
                str(sum(r["duplicated_chunks"] for r in results)),
                str(sum(r["failed"] for r in results)),
            ]
        )
    out.append(integrity)

    if report.failover or any(t in report.pending for t in ("legion", "litellm")):
        cuts = [f"cut@{k}" for k in FAILOVER_CUTS]
        failover = Sheet(
            "Failover: primary cuts every stream after k chunks, secondary healthy "
            "(% of answers exactly the full text; "
            f"c={report.settings.get('failover_concurrency')})",
            ["target", *cuts, "all", "p50 ms", "RPS", "errors"],
        )
        for name in ("litellm", "legion"):
            if name in report.pending:
                failover.rows.append([LABELS[name], "pending", *[""] * (len(cuts) + 3)])
                continue
            data = report.failover.get(name)
            if not data:
                continue
            cells = []
            for k in FAILOVER_CUTS:
                r = data[str(k)]
                cells.append(fmt(100 * r["text_ok"] / max(1, r["requests"]), 2, "%"))
            exact = sum(r["text_ok"] for r in data.values())
            total = sum(r["requests"] for r in data.values())
            failed = sum(r["failed"] for r in data.values())
            failover.rows.append(
                [
                    LABELS[name],
                    *cells,
                    f"{fmt(100 * exact / max(1, total), 2, '%')} of {total:,}",
                    fmt(median([r["p50_ms"] for r in data.values()]), 0),
                    fmt(median([r["rps"] for r in data.values()]), 0),
                    str(failed),
                ]
            )
        out.append(failover)

    if report.rss_kib or report.pending:
        marks = sorted(
            {int(k.split("_")[1]) for rss in report.rss_kib.values() for k in rss if "_" in k}
        )
        rss_sheet = Sheet(
            "Server RSS, MiB (process and children; idle = after one readiness request)",
            ["target", "idle", *[f"after {m:,}" for m in marks], "growth"],
            note=f"LiteLLM proxy measured only up to {LITELLM_RSS_CAP:,} requests (too slow for "
            "more in a benchmark run).",
        )
        for name in order(report):
            if name in report.pending and name in ("thin", "legion", "litellm"):
                rss_sheet.rows.append([LABELS[name], "pending", *[""] * (len(marks) + 1)])
                continue
            rss = report.rss_kib.get(name)
            if rss is None:
                continue
            last = max((v for k, v in rss.items() if k != "idle"), default=rss["idle"])
            rss_sheet.rows.append(
                [
                    LABELS[name],
                    fmt(rss["idle"] / 1024, 1),
                    *[
                        fmt(rss[f"after_{m}"] / 1024, 1) if f"after_{m}" in rss else "-"
                        for m in marks
                    ],
                    fmt((last - rss["idle"]) / 1024, 1, " MiB"),
                ]
            )
        out.append(rss_sheet)
    out.append(goals(report))
    return out


def goals(report: Report) -> Sheet:
    sheet = Sheet("Goals (legion-llm)", ["goal", "measured", "met"])
    if "legion" in report.pending:
        sheet.rows.append(["all", f"pending: {report.pending['legion']}", "-"])
        return sheet
    if "legion" not in report.runs:
        sheet.rows.append(["all", "legion-llm not in --targets", "-"])
        return sheet

    def verdict(value: float | None, ok: Callable[[float], bool]) -> str:
        return "-" if value is None else ("met" if ok(value) else "NOT met")

    added_ratio = ratio(
        added(report, "legion", "chat-c1", "p50_ms"), added(report, "thin", "chat-c1", "p50_ms")
    )
    sheet.rows.append(
        [
            "added p50 at c=1 ÷ thin's ≤ 1.5x",
            fmt(added_ratio, 2, "x"),
            verdict(added_ratio, lambda v: v <= 1.5),
        ]
    )
    for key, label in (("chat-c64", "RPS c=64"), ("stream-c64", "stream RPS c=64")):
        mine = stat(report, "legion", key, "rps")
        vs_thin = ratio(mine, stat(report, "thin", key, "rps"))
        vs_lite = ratio(mine, stat(report, "litellm", key, "rps"))
        sheet.rows.append(
            [f"{label} ÷ thin's ≥ 0.8x", fmt(vs_thin, 2, "x"), verdict(vs_thin, lambda v: v >= 0.8)]
        )
        sheet.rows.append([f"{label} ÷ LiteLLM's", fmt(vs_lite, 1, "x"), "(for reference)"])
    lost = sum(r["lost_chunks"] for r in report.integrity.get("legion", []))
    streams = sum(r["requests"] for r in report.integrity.get("legion", []))
    sheet.rows.append(
        [
            f"lost chunks in {streams:,} streams = 0",
            str(lost),
            verdict(float(lost), lambda v: v == 0),
        ]
    )
    data = report.failover.get("legion")
    if data:
        exact = sum(r["text_ok"] for r in data.values())
        total = sum(r["requests"] for r in data.values())
        share = 100 * exact / max(1, total)
        sheet.rows.append(
            [
                "failover exact answers ≥ 99.9%",
                fmt(share, 2, "%"),
                verdict(share, lambda v: v >= 99.9),
            ]
        )
    rss = report.rss_kib.get("legion")
    if rss:
        last_key = max(
            (k for k in rss if k != "idle"), key=lambda k: int(k.split("_")[1]), default="idle"
        )
        growth = (rss[last_key] - rss["idle"]) / 1024
        sheet.rows.append(
            [
                f"RSS growth idle → after {int(last_key.split('_')[1]):,} requests",
                fmt(growth, 1, " MiB"),
                "(reported)",
            ]
        )
    return sheet


def show(sheet: Sheet) -> None:
    table = Table(title=sheet.title, caption=sheet.note or None, title_justify="left")
    for i, header in enumerate(sheet.headers):
        table.add_column(header, justify="left" if i == 0 else "right")
    for row in sheet.rows:
        table.add_row(*row)
    console.print(table)


def markdown(sheet: Sheet) -> str:
    lines = [f"**{sheet.title}**", "", "| " + " | ".join(sheet.headers) + " |"]
    lines.append("|" + "|".join(["---"] + ["---:"] * (len(sheet.headers) - 1)) + "|")
    lines += ["| " + " | ".join(row) + " |" for row in sheet.rows]
    if sheet.note:
        lines += ["", sheet.note]
    return "\n".join(lines) + "\n"


# -- main ----------------------------------------------------------------------------------------
def parse(argv: list[str] | None) -> tuple[argparse.Namespace, Settings]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--runs", type=int, default=None, help="timed runs (default 5; quick 1)")
    parser.add_argument("--quick", action="store_true", help="1 run, short windows, small N")
    parser.add_argument("--targets", default=",".join(TARGETS), help="subset, comma-separated")
    parser.add_argument("--duration", type=float, default=None, help="timed window, s (5)")
    parser.add_argument("--warmup", type=float, default=None, help="warm-up per job, s (1)")
    parser.add_argument("--failover-n", type=int, default=None, help="10000; quick 500")
    parser.add_argument("--failover-concurrency", type=int, default=16)
    parser.add_argument("--rss-n", type=int, default=None, help="100000; quick 10000")
    parser.add_argument("--skip", default="", help="comma-separated: rss, grid, failover")
    parser.add_argument("--json", type=Path, default=None, help="write every number here")
    parser.add_argument("--markdown", type=Path, default=None, help="write the tables here")
    parser.add_argument("--workdir", type=Path, default=None, help="config and logs (temp)")
    parser.add_argument(
        "--render", type=Path, default=None, help="print the tables of a --json file; no run"
    )
    args = parser.parse_args(argv)
    targets = tuple(t.strip() for t in args.targets.split(",") if t.strip())
    unknown = set(targets) - set(TARGETS)
    if unknown:
        parser.error(f"unknown targets: {', '.join(sorted(unknown))}; from {', '.join(TARGETS)}")
    quick = args.quick
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="llm-gateway-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    settings = Settings(
        runs=args.runs or (1 if quick else 5),
        duration=args.duration or (2.0 if quick else 5.0),
        warmup=args.warmup if args.warmup is not None else (0.5 if quick else 1.0),
        failover_n=args.failover_n or (500 if quick else 10_000),
        failover_concurrency=args.failover_concurrency,
        rss_n=args.rss_n or (10_000 if quick else 100_000),
        targets=tuple(t for t in TARGETS if t in targets),
        workdir=workdir,
    )
    return args, settings


@contextmanager
def progress_bars() -> Iterator[Progress]:
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,.0f}/{task.total:,.0f}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        yield progress


def publish(report: Report, args: argparse.Namespace) -> None:
    """Print the tables, and write the raw numbers and the Markdown tables when asked."""
    for sheet in sheets(report):
        show(sheet)
    console.print(
        f"load average (1/5/15 min) before {report.machine['load_before']}, "
        f"after {report.machine['load_after']}"
    )
    if args.json:
        args.json.write_text(json.dumps(asdict(report), indent=2))
        console.print(f"raw numbers: {args.json}")
    if args.markdown:
        header = (
            f"{report.machine['finished_utc']}. Machine: {report.machine['cpus']} CPUs "
            f"({report.machine['cpu']}), everything on one box; load average before "
            f"{report.machine['load_before']}, after {report.machine['load_after']}. Versions: "
            + ", ".join(f"{k} {v}" for k, v in report.versions.items())
            + f".\n\nCommand: `.venv/bin/python {report.command}`\n\n"
        )
        args.markdown.write_text(header + "\n".join(markdown(s) for s in sheets(report)))
        console.print(f"tables as Markdown: {args.markdown}")


def main(argv: list[str] | None = None) -> int:
    args, settings = parse(argv)
    if args.render:
        publish(Report(**json.loads(args.render.read_text())), args)
        return 0
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    report = Report(
        machine=machine(),
        versions=versions(),
        settings={k: str(v) if isinstance(v, Path) else v for k, v in asdict(settings).items()},
        command=" ".join(["tools/bench/llm_gateway.py", *(argv or sys.argv[1:])]),
    )
    console.print(
        f"[bold]LLM gateway benchmark[/] {report.machine['cpus']} CPUs ({report.machine['cpu']}); "
        + ", ".join(f"{k} {v}" for k, v in report.versions.items())
    )
    console.print(f"work dir (config.yaml, server logs): {settings.workdir}")
    key = f"sk-bench-{secrets.token_hex(16)}"
    config = settings.workdir / "config.yaml"
    with Fleet() as fleet, progress_bars() as progress:
        phases: list[tuple[str, Callable[[Runner, list[Target], Mocks, Settings, Report], None]]]
        phases = [("rss", measure_rss), ("grid", measure_grid), ("failover", measure_failover)]
        phases = [(name, phase) for name, phase in phases if name not in skip]
        overall = progress.add_task("starting mocks", total=1 + len(phases))
        mocks = Mocks(
            main=start_mock(fleet, "mock-main", settings.workdir, WORDS["bench"]),
            slow=start_mock(
                fleet, "mock-slow", settings.workdir, WORDS["bench-slow"], SLOW_DELAY_MS
            ),
            primary=start_mock(fleet, "mock-primary", settings.workdir, WORDS["bench-failover"]),
            secondary=start_mock(
                fleet, "mock-secondary", settings.workdir, WORDS["bench-failover"]
            ),
        )
        write_config(config, mocks, key)
        live: list[Target] = []
        for name in settings.targets:
            progress.update(overall, description=f"starting {LABELS[name]}")
            target = start_target(fleet, name, config, settings.workdir, mocks, key)
            if target.pending is not None:
                console.print(f"[yellow]{LABELS[name]} not measured:[/] {target.pending}")
                report.pending[name] = target.pending
            else:
                live.append(target)
        runner = Runner(progress, settings.workdir, key)
        for name, phase in phases:
            progress.update(overall, description=f"phase: {name}", advance=1)
            phase(runner, live, mocks, settings, report)
    report.machine["load_after"] = [round(x, 2) for x in os.getloadavg()]
    report.machine["finished_utc"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    publish(report, args)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        console.print("interrupted; every server and load generator was stopped")
        sys.exit(130)
