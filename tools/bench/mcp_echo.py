"""MCP echo over streamable HTTP: legion-mcp (bearer auth on, a checking guard on) against a bare
FastMCP server with the same tool, in one run, each server in its own subprocess on a loopback
port, driven by 50 concurrent MCP sessions (raw JSON-RPC over aiohttp, so the client stays cheap).

The legion side's backend calls the function directly (no engine, no store): this measures what
the MCP layer adds (tool generation, validation, the guard, auth), not task execution.

Run: `.venv/bin/python tools/bench/mcp_echo.py [--clients 50] [--seconds 5] [--rounds 3] [--json]`
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
import time
from typing import Any

TOKEN = "bench-token"
PROTOCOL = "2025-06-18"


# -- servers (run in subprocesses) ----------------------------------------------------------------
class Echo:
    def echo(self, text: str) -> dict[str, Any]:
        """Say `text` back."""
        return {"text": text}


class DirectBackend:
    """Runs the function in the call: the MCP layer's cost without the engine's."""

    def __init__(self) -> None:
        from legion.core.extensions.extension import Extension
        from legion.core.registry import CapabilityRegistry

        self._registry = CapabilityRegistry()
        self._registry.add(Extension(name="echo", version="0.0.1", runners=[Echo]))

    def registry(self) -> Any:
        return self._registry

    def call(self, op: str, params: dict[str, Any]) -> Any:
        if op != "task.run":
            raise ValueError(op)
        cap = self._registry.get(params["function"])
        result = cap.call(params["args"])
        return {"task_id": "0" * 32, "status": "completed", "result": result, "error": None}


class AllowListGuard:
    """A guard that really checks (a set lookup) and audits (a counter)."""

    def __init__(self) -> None:
        self.allowed = {"mcp/tools/echo.echo.echo"}
        self.audited = 0

    def check(self, principal: str, resource: str, action: str) -> tuple[bool, str | None]:
        return (resource in self.allowed and principal.startswith("token:")), "not listed"

    def audit(self, record: Any) -> None:
        self.audited += 1


def legion_app() -> Any:
    from legion.mcp.auth import digest, http_auth
    from legion.mcp.server import build_server
    from legion.mcp.transports import http_app

    server = build_server(DirectBackend(), guard=AllowListGuard())
    policy = http_auth("127.0.0.1", loopback_open=False, tokens=[digest(TOKEN)])
    return http_app(server, policy).app


def bare_app() -> Any:
    from fastmcp import FastMCP

    server: FastMCP = FastMCP("bare")

    @server.tool(name="echo.echo.echo")
    def echo(text: str) -> dict[str, Any]:
        """Say `text` back."""
        return {"text": text}

    return server.http_app(path="/mcp")


def serve(kind: str, port: int) -> None:
    import logging

    import uvicorn

    logging.disable(logging.WARNING)
    app = legion_app() if kind == "legion" else bare_app()
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="error", access_log=False)


# -- load -----------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def parse(body: str) -> dict[str, Any]:
    """A JSON-RPC response as JSON or as the data line of an SSE event."""
    if body.lstrip().startswith("{"):
        return dict(json.loads(body))
    for line in body.splitlines():
        if line.startswith("data:"):
            return dict(json.loads(line[5:]))
    raise ValueError(f"no JSON-RPC message in {body[:200]!r}")


async def session(http: Any, url: str, headers: dict[str, str]) -> dict[str, str]:
    init = {
        "jsonrpc": "2.0",
        "id": 0,
        "method": "initialize",
        "params": {
            "protocolVersion": PROTOCOL,
            "capabilities": {},
            "clientInfo": {"name": "bench", "version": "0"},
        },
    }
    async with http.post(url, json=init, headers=headers) as r:
        assert r.status == 200, await r.text()
        sid = r.headers.get("mcp-session-id")
        parse(await r.text())
    headers = {**headers, "mcp-protocol-version": PROTOCOL}
    if sid:
        headers["mcp-session-id"] = sid
    note = {"jsonrpc": "2.0", "method": "notifications/initialized"}
    async with http.post(url, json=note, headers=headers) as r:
        await r.read()
    return headers


async def client(
    http: Any, url: str, headers: dict[str, str], until: float, latencies: list[float]
) -> None:
    headers = await session(http, url, headers)
    n = 0
    while time.perf_counter() < until:
        n += 1
        call = {
            "jsonrpc": "2.0",
            "id": n,
            "method": "tools/call",
            "params": {"name": "echo.echo.echo", "arguments": {"text": f"hi {n}"}},
        }
        start = time.perf_counter()
        async with http.post(url, json=call, headers=headers) as r:
            message = parse(await r.text())
        if r.status != 200 or "error" in message or message["result"].get("isError"):
            raise RuntimeError(f"call failed: {r.status} {message}")
        latencies.append(time.perf_counter() - start)


async def load(
    url: str, token: str | None, clients: int, seconds: float
) -> tuple[int, float, list[float]]:
    import aiohttp

    headers = {"accept": "application/json, text/event-stream"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    latencies: list[float] = []
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector) as http:
        start = time.perf_counter()
        until = start + seconds
        await asyncio.gather(
            *(client(http, url, headers, until, latencies) for _ in range(clients))
        )
        elapsed = time.perf_counter() - start
    return len(latencies), elapsed, latencies


def wait_listening(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("server did not listen in 60s")


def run(clients: int, seconds: float, rounds: int) -> dict[str, Any]:
    sides = {"bare": (None, free_port()), "legion": (TOKEN, free_port())}
    procs = {
        kind: subprocess.Popen(
            [sys.executable, __file__, "--serve", kind, "--port", str(port)],
            env={**os.environ, "FASTMCP_SHOW_SERVER_BANNER": "false"},
        )
        for kind, (_, port) in sides.items()
    }
    stats: dict[str, dict[str, Any]] = {
        k: {"n": 0, "t": 0.0, "lat": [], "alone": []} for k in sides
    }
    try:
        for kind, (_, port) in sides.items():
            wait_listening(port, procs[kind])
        for token, port in sides.values():  # warm-up
            asyncio.run(load(f"http://127.0.0.1:{port}/mcp", token, clients, 1.0))
        for i in range(rounds):
            # Alternate which side goes first, so drift on the machine hits both alike.
            order = list(sides) if i % 2 == 0 else list(reversed(sides))
            for kind in order:
                token, port = sides[kind]
                url = f"http://127.0.0.1:{port}/mcp"
                n, t, lat = asyncio.run(load(url, token, clients, seconds))
                stats[kind]["n"] += n
                stats[kind]["t"] += t
                stats[kind]["lat"] += lat
                # One client alone: the latency a single agent sees, without queueing.
                _, _, alone = asyncio.run(load(url, token, 1, seconds / 3))
                stats[kind]["alone"] += alone
    finally:
        for proc in procs.values():
            proc.terminate()
            proc.wait(30)
    rows = {
        kind: {
            "rps": round(s["n"] / s["t"], 1),
            "p50_ms": round(statistics.median(s["lat"]) * 1000, 2),
            "p99_ms": round(statistics.quantiles(s["lat"], n=100)[98] * 1000, 2),
            "calls": s["n"],
            "p50_1_client_ms": round(statistics.median(s["alone"]) * 1000, 2),
        }
        for kind, s in stats.items()
    }
    return {
        "clients": clients,
        "seconds_per_round": seconds,
        "rounds": rounds,
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "servers": rows,
        "rps_ratio": round(rows["legion"]["rps"] / rows["bare"]["rps"], 3),
        "p50_delta_ms": round(rows["legion"]["p50_ms"] - rows["bare"]["p50_ms"], 2),
        "p50_1_client_delta_ms": round(
            rows["legion"]["p50_1_client_ms"] - rows["bare"]["p50_1_client_ms"], 2
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--serve", choices=["legion", "bare"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port)
        return
    result = run(args.clients, args.seconds, args.rounds)
    if args.json:
        print(json.dumps(result))
        return
    print(
        f"| server | RPS | p50 ms | p99 ms | p50 ms, 1 client | calls |  ({result['clients']} "
        f"clients, {result['rounds']}x{result['seconds_per_round']:g}s, {result['cpus']} CPUs)"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for kind, row in result["servers"].items():
        name = "legion-mcp (auth + guard)" if kind == "legion" else "bare FastMCP"
        print(
            f"| {name} | {row['rps']} | {row['p50_ms']} | {row['p99_ms']} | "
            f"{row['p50_1_client_ms']} | {row['calls']} |"
        )
    print(
        f"\nlegion/bare RPS ratio {result['rps_ratio']} (goal >= 0.9); p50 delta "
        f"{result['p50_delta_ms']:+} ms at {result['clients']} clients, "
        f"{result['p50_1_client_delta_ms']:+} ms with 1 client (goal <= +1 ms)"
    )


if __name__ == "__main__":
    main()
