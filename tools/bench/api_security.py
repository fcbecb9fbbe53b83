"""What the API's security layer costs: Legion's REST API with authentication (API key), RBAC
and rate limiting on, against a bare litestar app answering the same JSON, plus legion-rbac's
cached decisions against raw pycasbin at 1,100 rules (tools/bench/rbac_decisions.py).

Servers, each in its own process under uvicorn on a loopback port (one worker, same settings):

  bare     a litestar app with one GET route returning the same envelope (`ok(...)` with a
           fresh timestamp) around the same payload, computed once at start;
  open     Legion's own app (`create_app`, catalog routes) without the security middleware:
           what the route itself costs (describe the extension on every call);
  secured  the same app behind `build_security`: `X-API-Key` checked against the store on every
           request (no key cache: revocation holds from the next request), RBAC over a policy
           file, rate limits per IP and per principal (limits far above the load, so no 429),
           request ids, rate-limit headers; audit writes only for mutating calls and denials
           (a GET that is allowed writes nothing).

The route is `GET /api/v1/extensions/ping`. An async aiohttp client keeps `--clients`
connections busy for `--seconds` per round; rounds run the servers in rotating order, so drift
on the machine hits all alike. The table shows median RPS over `--rounds` rounds, the
median per-round ratio to bare, p50 latency, and the server process's CPU time per request
(from /proc: user + system, so it counts uvicorn's HTTP work too), which a busy machine
disturbs less than RPS. Goal: secured >= 0.9x bare.

Run: `.venv/bin/python tools/bench/api_security.py [--clients 32] [--seconds 4] [--rounds 5]
[--checks 2000] [--json]`
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROUTE = "/api/v1/extensions/ping"
DENIED = "/api/v1/extensions/vault"
POLICY = """
description = "Reads extensions; never the vault one."

path "extensions" {
  capabilities = ["list"]
}

path "extensions/*" {
  capabilities = ["read", "list"]
}

path "extensions/vault" {
  capabilities = ["deny"]
}
"""
SIDES = ("bare", "open", "secured")
LABELS = {
    "bare": "bare litestar (same JSON)",
    "open": "Legion API, security off",
    "secured": "Legion API, key + RBAC + rate limits",
}


# -- servers (run in subprocesses) ----------------------------------------------------------------
def legion_app(secured: bool) -> Any:
    from legion.app.api.app import create_app
    from legion.app.security import build_security
    from legion.app.security.store_access import open_store
    from legion.core.catalog import Catalog
    from legion.core.settings import load_settings

    settings = load_settings({})
    catalog = Catalog.load(settings)
    if not secured:
        return create_app(catalog)
    return create_app(catalog, middleware=build_security(settings, db=open_store(settings)))


def bare_app() -> Any:
    from litestar import Litestar, get

    from legion.app.api.envelope import ok
    from legion.app.operations import describe_extension
    from legion.core.catalog import Catalog
    from legion.core.settings import load_settings

    payload = describe_extension(Catalog.load(load_settings({})), "ping")

    @get("/api/v1/extensions/{extension:str}", sync_to_thread=False)
    def show(extension: str) -> dict[str, Any]:
        return ok(payload)

    return Litestar(route_handlers=[show])


def serve(kind: str, port: int) -> None:
    import logging

    import uvicorn

    logging.disable(logging.WARNING)
    app = bare_app() if kind == "bare" else legion_app(kind == "secured")
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="error", access_log=False)


# -- setup ----------------------------------------------------------------------------------------
def prepare(home: Path) -> str:
    """Settings for the servers (auth required, a policy, limits far above the load) and an
    API key with the policy's role; returns the key."""
    (home / "settings").mkdir(parents=True)
    (home / "rbac").mkdir()
    (home / "rbac" / "bench.hcl").write_text(POLICY)
    huge = 100_000_000
    settings = {
        "api": {
            "auth": {"loopback_open": False},
            "rate_limit": {"enabled": True, "per_ip": huge, "per_principal": huge},
        },
        "rbac": {"enforce": True, "policies": [str(home / "rbac")]},
        "log": {"level": "WARNING"},
    }
    (home / "settings" / "bench.json").write_text(json.dumps(settings))
    os.environ["LEGION_HOME"] = str(home)
    os.environ["LEGION_SETTINGS_DIRS"] = str(home / "settings")

    from legion.app.security.api_keys import create_key
    from legion.app.security.store_access import open_store
    from legion.core.logging import logger
    from legion.core.settings import load_settings
    from legion.core.store.api_keys import ApiKeyStore

    logger.disable("legion")  # the schema set-up's INFO lines would land amid the table
    db = open_store(load_settings({}))
    try:
        _, key = create_key(ApiKeyStore(db), "bench", "bench")
    finally:
        db.dispose()
    return key


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_listening(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("server did not listen in 120s")


async def sanity(urls: dict[str, str], key: str) -> None:
    """Every side answers the same JSON; the secured one really checks key, RBAC and limits."""
    import aiohttp

    async with aiohttp.ClientSession() as http:
        bodies = {}
        for kind, base in urls.items():
            headers = {"x-api-key": key} if kind == "secured" else {}
            async with http.get(base + ROUTE, headers=headers) as r:
                if r.status != 200:
                    raise SystemExit(f"{kind}: {r.status} {await r.text()}")
                bodies[kind] = await r.json()
                if kind == "secured" and "x-ratelimit-remaining" not in r.headers:
                    raise SystemExit("secured: no rate-limit headers (limits are off?)")
        shapes = {k: json.dumps(b["data"], sort_keys=True) for k, b in bodies.items()}
        if len(set(shapes.values())) != 1:
            raise SystemExit("the servers do not answer the same JSON")
        secured = urls["secured"]
        async with http.get(secured + ROUTE) as r:
            if r.status != 401:
                raise SystemExit(f"secured without a key: {r.status}, expected 401")
        async with http.get(secured + DENIED, headers={"x-api-key": key}) as r:
            if r.status != 403:
                raise SystemExit(f"secured, denied resource: {r.status}, expected 403")


# -- load -----------------------------------------------------------------------------------------
async def client(
    http: Any, url: str, headers: dict[str, str], until: float, latencies: list[float]
) -> None:
    clock = time.perf_counter
    while clock() < until:
        start = clock()
        async with http.get(url, headers=headers) as r:
            await r.read()
            if r.status != 200:
                raise RuntimeError(f"{url}: {r.status} {await r.text()}")
        latencies.append(clock() - start)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def load(
    url: str, headers: dict[str, str], clients: int, seconds: float, pid: int
) -> dict[str, Any]:
    import aiohttp

    latencies: list[float] = []
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector) as http:
        cpu = cpu_seconds(pid)
        start = time.perf_counter()
        until = start + seconds
        await asyncio.gather(
            *(client(http, url, headers, until, latencies) for _ in range(clients))
        )
        elapsed = time.perf_counter() - start
        cpu = cpu_seconds(pid) - cpu
    return {
        "rps": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "cpu_us": cpu / len(latencies) * 1e6,
    }


def run_http(clients: int, seconds: float, rounds: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="legion-bench-") as tmp:
        key = prepare(Path(tmp) / "home")
        ports = {kind: free_port() for kind in SIDES}
        procs = {
            kind: subprocess.Popen(
                [sys.executable, __file__, "--serve", kind, "--port", str(port)],
                env=dict(os.environ),
            )
            for kind, port in ports.items()
        }
        urls = {kind: f"http://127.0.0.1:{port}" for kind, port in ports.items()}
        headers = {kind: ({"x-api-key": key} if kind == "secured" else {}) for kind in SIDES}
        per_round: dict[str, list[dict[str, Any]]] = {kind: [] for kind in SIDES}
        try:
            for kind, port in ports.items():
                wait_listening(port, procs[kind])
            asyncio.run(sanity(urls, key))
            for kind in SIDES:  # warm-up
                asyncio.run(load(urls[kind] + ROUTE, headers[kind], clients, 1.0, procs[kind].pid))
            progress = _progress()
            with progress:
                task = progress.add_task("rounds", total=rounds * len(SIDES))
                for i in range(rounds):
                    order = SIDES[i % len(SIDES) :] + SIDES[: i % len(SIDES)]  # rotate
                    for kind in order:
                        progress.update(task, description=f"round {i + 1}/{rounds}: {kind}")
                        url = urls[kind] + ROUTE
                        pid = procs[kind].pid
                        result = asyncio.run(load(url, headers[kind], clients, seconds, pid))
                        per_round[kind].append(result)
                        progress.advance(task)
        finally:
            for proc in procs.values():
                proc.terminate()
            for proc in procs.values():
                proc.wait(30)
    rows = {}
    for kind in SIDES:
        pairs = list(zip(per_round[kind], per_round["bare"], strict=True))
        rps = [r["rps"] for r in per_round[kind]]
        rows[kind] = {
            "rps_median": round(statistics.median(rps), 1),
            "rps_rounds": [round(x, 1) for x in rps],
            "ratio_vs_bare": round(statistics.median(r["rps"] / b["rps"] for r, b in pairs), 3),
            "p50_ms": round(statistics.median(r["p50_ms"] for r in per_round[kind]), 2),
            "cpu_us_per_request": round(statistics.median(r["cpu_us"] for r in per_round[kind]), 1),
        }
    return {
        "route": ROUTE,
        "clients": clients,
        "seconds_per_round": seconds,
        "rounds": rounds,
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "servers": rows,
        "secured_vs_bare": rows["secured"]["ratio_vs_bare"],
        "secured_vs_bare_by_cpu": round(
            rows["bare"]["cpu_us_per_request"] / rows["secured"]["cpu_us_per_request"], 3
        ),
        "secured_vs_open": round(
            statistics.median(
                s["rps"] / o["rps"]
                for s, o in zip(per_round["secured"], per_round["open"], strict=True)
            ),
            3,
        ),
    }


def _progress() -> Any:
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )


def render_http(report: dict[str, Any]) -> str:
    lines = [
        f"`GET {report['route']}`, {report['clients']} connections, median of "
        f"{report['rounds']} rounds x {report['seconds_per_round']:g}s (rotating order), "
        f"{report['cpus']} CPUs, Python {report['python']}",
        "",
        "| server | RPS (median) | vs bare | p50 latency | server CPU per request "
        "| RPS per round |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for kind, row in report["servers"].items():
        rounds = ", ".join(f"{x:,.0f}" for x in row["rps_rounds"])
        lines.append(
            f"| {LABELS[kind]} | {row['rps_median']:,.0f} | {row['ratio_vs_bare']:.2f}x "
            f"| {row['p50_ms']:.2f} ms | {row['cpu_us_per_request']:,.0f} µs | {rounds} |"
        )
    lines.append("")
    lines.append(
        f"secured/bare {report['secured_vs_bare']:.2f}x by RPS (goal >= 0.9x), "
        f"{report['secured_vs_bare_by_cpu']:.2f}x by server CPU per request; "
        f"secured/open {report['secured_vs_open']:.2f}x (the security layer alone)"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=32, help="concurrent connections")
    parser.add_argument("--seconds", type=float, default=4.0, help="seconds per round and side")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--checks", type=int, default=2_000, help="RBAC checks per path")
    parser.add_argument("--seed", type=int, default=7, help="RBAC workload seed")
    parser.add_argument("--json", action="store_true", help="print the reports as JSON")
    parser.add_argument("--serve", choices=SIDES, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port)
        return
    import rbac_decisions  # a sibling script: tools/bench is on sys.path when run as a script

    http = run_http(args.clients, args.seconds, args.rounds)
    rbac = rbac_decisions.run(args.checks, args.seed)
    if args.json:
        print(json.dumps({"http": http, "rbac": rbac}, indent=2))
    else:
        print(render_http(http))
        print()
        print(rbac_decisions.render(rbac))
    if http["secured_vs_bare"] < 0.9:
        print(
            f"goal missed: secured is {http['secured_vs_bare']:.2f}x bare (goal >= 0.9x)",
            file=sys.stderr,
        )


if __name__ == "__main__":
    main()
