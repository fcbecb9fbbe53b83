"""A local stand-in for Vault's KV version 2 HTTP API, and an isolated LEGION_HOME per test.

No Vault server can run here, so `FakeVault` speaks the parts of the real wire format Legion uses:
`GET` and `POST`/`PUT` on `/v1/<mount>/data/<path>`, the `X-Vault-Token` and `X-Vault-Namespace`
headers, 403 `permission denied` for a bad token, 404 with empty `errors` for a missing path,
the `{"data": {"data": ..., "metadata": ...}}` read shape and check-and-set (`options.cas`).
It listens on loopback only, on a free port, in a thread.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from legion.core.settings import Settings, load_settings

GOOD_TOKEN = "s.test-token-abc123"
READ_ONLY_TOKEN = "s.read-only-token"


@dataclass
class Seen:
    method: str
    path: str
    token: str | None
    namespace: str | None


@dataclass
class FakeVault:
    """State of the stand-in: secrets per (mount, path) as a list of versions, and a request log."""

    mounts: set[str] = field(default_factory=lambda: {"secret"})
    tokens: dict[str, bool] = field(
        default_factory=lambda: {GOOD_TOKEN: True, READ_ONLY_TOKEN: False}
    )  # token -> may write
    namespace: str | None = None
    versions: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    address: str = ""
    token: str = GOOD_TOKEN  # may read and write
    read_only_token: str = READ_ONLY_TOKEN

    def put(self, path: str, data: dict[str, Any], mount: str = "secret") -> None:
        self.versions.setdefault((mount, path), []).append(data)

    def latest(self, path: str, mount: str = "secret") -> dict[str, Any] | None:
        versions = self.versions.get((mount, path))
        return versions[-1] if versions else None


def metadata(version: int) -> dict[str, Any]:
    return {
        "created_time": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "custom_metadata": None,
        "deletion_time": "",
        "destroyed": False,
        "version": version,
    }


def envelope(data: Any) -> dict[str, Any]:
    return {
        "request_id": str(uuid.uuid4()),
        "lease_id": "",
        "renewable": False,
        "lease_duration": 0,
        "data": data,
        "wrap_info": None,
        "warnings": None,
        "auth": None,
    }


def make_handler(vault: FakeVault) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # keep pytest output clean
            return

        def reply(self, status: int, body: dict[str, Any]) -> None:
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def route(self) -> tuple[str, str] | None:
            """(mount, secret path) for `/v1/<mount>/data/<path>`, after auth; None if answered."""
            token = self.headers.get("X-Vault-Token")
            namespace = self.headers.get("X-Vault-Namespace")
            vault.seen.append(Seen(self.command, self.path, token, namespace))
            if token not in vault.tokens or namespace != vault.namespace:
                self.reply(403, {"errors": ["permission denied"]})
                return None
            parts = self.path.split("?", 1)[0].split("/")
            if len(parts) < 5 or parts[1] != "v1" or parts[3] != "data":
                self.reply(404, {"errors": ["unsupported path"]})
                return None
            mount, secret = parts[2], "/".join(parts[4:])
            if mount not in vault.mounts:
                route = self.path.removeprefix("/v1/")
                self.reply(
                    404, {"errors": [f'no handler for route "{route}". route entry not found.']}
                )
                return None
            return mount, secret

        def do_GET(self) -> None:
            found = self.route()
            if found is None:
                return
            versions = vault.versions.get(found)
            if not versions:
                self.reply(404, {"errors": []})
                return
            body = {"data": versions[-1], "metadata": metadata(len(versions))}
            self.reply(200, envelope(body))

        def do_POST(self) -> None:
            found = self.route()
            if found is None:
                return
            length = int(self.headers.get("Content-Length") or 0)
            request = json.loads(self.rfile.read(length) or b"{}")
            if not vault.tokens[self.headers["X-Vault-Token"]]:
                self.reply(403, {"errors": ["1 error occurred:\n\t* permission denied\n\n"]})
                return
            if not isinstance(request.get("data"), dict):
                self.reply(400, {"errors": ["no data provided"]})
                return
            versions = vault.versions.setdefault(found, [])
            cas = (request.get("options") or {}).get("cas")
            if cas is not None and cas != len(versions):
                self.reply(
                    400, {"errors": ["check-and-set parameter did not match the current version"]}
                )
                return
            versions.append(request["data"])
            self.reply(200, envelope(metadata(len(versions))))

        do_PUT = do_POST

    return Handler


@pytest.fixture
def fake_vault() -> Iterator[FakeVault]:
    vault = FakeVault()
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(vault))
    vault.address = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield vault
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def closed_address() -> str:
    """A loopback address where nothing listens: Vault unreachable."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = server.server_address[1]
    server.server_close()
    return f"http://127.0.0.1:{port}"


@pytest.fixture(autouse=True)
def legion_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Each test gets its own LEGION_HOME and settings directory; the host's files never leak in."""
    home = tmp_path / "legion-home"
    (home / "settings").mkdir(parents=True)
    monkeypatch.setenv("LEGION_HOME", str(home))
    monkeypatch.setenv("LEGION_SETTINGS_DIRS", str(home / "settings"))
    for name in ("LEGION_MODE", "LEGION_VAULT__ADDRESS", "LEGION_VAULT__TOKEN"):
        monkeypatch.delenv(name, raising=False)
    for name in ("LEGION_VAULT__NAMESPACE", "LEGION_VAULT__MOUNT", "LEGION_CRYPT__CLUSTER_SECRET"):
        monkeypatch.delenv(name, raising=False)
    yield home


@pytest.fixture
def write_settings(legion_home: Path) -> Callable[[dict[str, Any]], Settings]:
    """Write one settings file into this test's home and load full-mode settings from it."""

    def load(data: dict[str, Any]) -> Settings:
        (legion_home / "settings" / "test.json").write_text(json.dumps({"mode": "full", **data}))
        return load_settings()

    return load
