"""The Vault KV v2 loader, against a small in-process stand-in for Vault's HTTP API."""

from __future__ import annotations

import json
import socket
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import hvac  # type: ignore[import-untyped]
import pytest

from legion.rbac.engine import Engine
from legion.rbac.errors import MissingDependencyError, PolicyError
from legion.rbac.vault import load_from_vault, vault_client

TOKEN = "s.test-token"


class FakeVault:
    """Secrets by mount and path, served the way KV v2 answers reads and lists."""

    def __init__(self) -> None:
        self.secrets: dict[str, dict[str, dict[str, Any]]] = {"secret": {}}
        self.requests: list[tuple[str, str]] = []

    def handler(self) -> type[BaseHTTPRequestHandler]:
        vault = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return None

            def _send(self, status: int, body: dict[str, Any]) -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def _route(self, method: str) -> None:
                url = urlsplit(self.path)
                vault.requests.append((method, url.path))
                if self.headers.get("X-Vault-Token") != TOKEN:
                    self._send(403, {"errors": ["permission denied"]})
                    return
                parts = url.path.removeprefix("/v1/").split("/", 2)
                if len(parts) < 3 or parts[0] not in vault.secrets:
                    self._send(404, {"errors": []})
                    return
                mount, kind, path = parts
                store = vault.secrets[mount]
                listing = method == "LIST" or "list=true" in (url.query or "")
                if kind == "metadata" and listing:
                    prefix = path.rstrip("/") + "/" if path.strip("/") else ""
                    keys = sorted(
                        {
                            k[len(prefix) :].split("/", 1)[0]
                            + ("/" if "/" in k[len(prefix) :] else "")
                            for k in store
                            if k.startswith(prefix)
                        }
                    )
                    if not keys:
                        self._send(404, {"errors": []})
                        return
                    self._send(200, {"data": {"keys": keys}})
                    return
                if kind == "data" and method == "GET" and path in store:
                    meta = {"version": 1, "deletion_time": "", "destroyed": False}
                    self._send(200, {"data": {"data": store[path], "metadata": meta}})
                    return
                self._send(404, {"errors": []})

            def do_GET(self) -> None:
                self._route("GET")

            def do_LIST(self) -> None:
                self._route("LIST")

        return Handler


@pytest.fixture
def vault() -> Iterator[tuple[FakeVault, str]]:
    fake = FakeVault()
    server = ThreadingHTTPServer(("127.0.0.1", 0), fake.handler())
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield fake, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_document_secret(vault: tuple[FakeVault, str]) -> None:
    fake, url = vault
    fake.secrets["secret"]["legion/rbac"] = {
        "roles": [{"name": "ops", "rules": [{"path": "nodes/*", "capabilities": ["update"]}]}],
        "assignments": {"user:alice": ["ops", "observer"]},
    }
    policy = load_from_vault(hvac.Client(url=url, token=TOKEN), "secret", "legion/rbac")
    assert list(policy.roles) == ["ops"]
    assert policy.roles["ops"].source == "vault:secret/legion/rbac"
    engine = Engine(policy)
    assert engine.check("user:alice", "nodes/n1", "update").allowed
    assert engine.check("user:alice", "tasks/1", "read").allowed
    assert ("GET", "/v1/secret/data/legion/rbac") in fake.requests


def test_values_stored_as_json_text(vault: tuple[FakeVault, str]) -> None:
    fake, url = vault
    fake.secrets["secret"]["rbac"] = {
        "enforce": "false",
        "assignments": json.dumps({"key:abc123": ["observer"]}),
    }
    policy = load_from_vault(vault_client(url, TOKEN), "secret", "rbac")
    assert policy.enforce is False
    assert [a.principal for a in policy.assignments] == ["key:abc123"]


def test_a_folder_of_secrets(vault: tuple[FakeVault, str]) -> None:
    fake, url = vault
    store = fake.secrets["secret"]
    store["policies/deployer"] = {
        "policy": 'path "extensions/+/deploy" {\n  capabilities = ["execute"]\n}\n'
    }
    store["policies/auditor"] = {
        "name": "auditor",
        "rules": [{"path": "*", "capabilities": ["list"]}],
    }
    store["policies/team"] = {"assignments": {"user:bob": ["deployer", "auditor"]}}
    store["policies/nested/ignored"] = {"name": "ignored", "rules": []}
    client = vault_client(url, TOKEN)
    policy = load_from_vault(client, "secret", "policies/")
    assert sorted(policy.roles) == ["auditor", "deployer"]
    assert policy.roles["deployer"].rules[0].location == "vault:secret/policies/deployer:1"
    engine = Engine(policy)
    assert engine.check("user:bob", "extensions/http/deploy", "execute").allowed
    assert engine.check("user:bob", "tasks/", "list").allowed
    assert not engine.check("user:bob", "tasks/1", "read").allowed


def test_missing_secret_and_bad_token_are_clear_errors(vault: tuple[FakeVault, str]) -> None:
    _, url = vault
    with pytest.raises(PolicyError, match=r"vault:secret/nope: no secret there"):
        load_from_vault(vault_client(url, TOKEN), "secret", "nope")
    with pytest.raises(PolicyError, match="permission denied"):
        load_from_vault(vault_client(url, "wrong"), "secret", "nope")


def test_invalid_policy_in_vault_names_the_secret(vault: tuple[FakeVault, str]) -> None:
    fake, url = vault
    fake.secrets["secret"]["bad"] = {"policy": 'path "a" { capabilities = ["fly"] }'}
    with pytest.raises(PolicyError, match=r"^vault:secret/bad:1: role 'bad', path \"a\""):
        load_from_vault(vault_client(url, TOKEN), "secret", "bad")
    fake.secrets["secret"]["junk"] = {"password": "x"}
    with pytest.raises(PolicyError, match="store a policy document there"):
        load_from_vault(vault_client(url, TOKEN), "secret", "junk")


def test_unreachable_vault() -> None:
    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(PolicyError, match="cannot reach Vault"):
        load_from_vault(vault_client(f"http://127.0.0.1:{port}", TOKEN), "secret", "rbac")


def test_without_hvac_the_error_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "hvac", None)
    with pytest.raises(MissingDependencyError, match=r"pip install 'legion-rbac\[vault\]'"):
        load_from_vault(None, "secret", "rbac")
