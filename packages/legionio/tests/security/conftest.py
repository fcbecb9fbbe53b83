"""Helpers for the security tests: settings files, a small API carrying route declarations,
served by uvicorn on a free loopback port, and the CLI as a process."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar, delete, get, post
from litestar.params import FromPath

from legion.app.api.envelope import ok
from legion.app.security import build_security
from legion.app.security.store_access import open_store
from legion.core.settings import Settings, load_settings

LEGION = [sys.executable, "-m", "legion.app.cli"]

DEPLOYER_POLICY = """
description = "Creates and reads tasks; never touches the vault extension."

path "tasks/*" {
  capabilities = ["create", "read", "list"]
}

path "extensions/*" {
  capabilities = ["read"]
}

path "extensions/vault" {
  capabilities = ["deny"]
}
"""


@get("/api/health", opt={"public": True})
async def health() -> dict[str, Any]:
    return ok({"status": "ok"})


@get("/api/v1/extensions/{name:str}", opt={"rbac": ("extensions/{name}", "read")})
async def get_extension(name: FromPath[str]) -> dict[str, Any]:
    return ok({"name": name})


@post("/api/v1/tasks", status_code=201, opt={"rbac": ("tasks/", "create")})
async def create_task() -> dict[str, Any]:
    return ok({"id": "t1"})


@delete("/api/v1/tasks/{task_id:str}", status_code=200, opt={"rbac": ("tasks/{task_id}", "delete")})
async def delete_task(task_id: FromPath[str]) -> dict[str, Any]:
    return ok({"deleted": task_id})


@get("/api/v1/undeclared")
async def undeclared() -> dict[str, Any]:
    return ok({"undeclared": True})


ROUTES = [health, get_extension, create_task, delete_task, undeclared]


def write_settings(home: Path, data: dict[str, Any]) -> None:
    """A settings file in LEGION_HOME/settings, so the CLI processes read the same settings."""
    (home / "settings" / "security.json").write_text(json.dumps(data))


@pytest.fixture
def configure(legion_home: Path) -> Callable[..., Settings]:
    """Write the security settings (auth required on loopback, a deployer policy) and load them."""

    def make(**extra: Any) -> Settings:
        policies = legion_home / "rbac"
        policies.mkdir(exist_ok=True)
        (policies / "deployer.hcl").write_text(DEPLOYER_POLICY)
        data: dict[str, Any] = {
            "api": {"auth": {"loopback_open": False}, **extra.pop("api", {})},
            "rbac": {"policies": [str(policies)]},
        }
        data.update(extra)
        write_settings(legion_home, data)
        return load_settings({})

    return make


@contextmanager
def serving(app: Any, *, lifespan: str = "off") -> Iterator[str]:
    """An ASGI app on a free loopback port in a thread (uvicorn); yields its base URL."""
    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan=lifespan))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()


@pytest.fixture
def api(configure: Callable[..., Settings]) -> Callable[..., Any]:
    """`with api(**settings) as url:` the test API behind the security middleware."""

    @contextmanager
    def run(**extra: Any) -> Iterator[str]:
        settings = configure(**extra)
        db = open_store(settings)
        app = Litestar(route_handlers=ROUTES, middleware=build_security(settings, db=db))
        try:
            with serving(app) as url:
                yield url
        finally:
            db.dispose()

    return run


def cli(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """`legion ...` as a process in this test's LEGION_HOME."""
    done = subprocess.run(
        [*LEGION, *args],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "250"},
        timeout=120,
    )
    if check and done.returncode != 0:
        raise AssertionError(f"legion {' '.join(args)} exited {done.returncode}: {done.stderr}")
    return done


def cli_json(*args: str) -> Any:
    return json.loads(cli(*args, "--json").stdout)


@pytest.fixture
def new_key(configure: Callable[..., Settings]) -> Callable[[str], dict[str, Any]]:
    """`legion auth key create` with the policy directory in settings (so custom roles exist)."""

    def make(role: str) -> dict[str, Any]:
        configure()
        created: dict[str, Any] = cli_json(
            "auth", "key", "create", "--name", "test", "--role", role
        )
        return created

    return make
