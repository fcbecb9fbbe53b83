"""Unversioned paths answer with deprecation headers; OpenAPI and docs are served; every
route declares what RBAC should check."""

from __future__ import annotations

from typing import Any

from litestar.testing import TestClient

from legion.app.api.app import create_app
from legion.core.catalog import Catalog
from legion.core.settings import load_settings

from .conftest import Node

ACTIONS = {"read", "list", "create", "update", "delete", "execute"}


def test_unversioned_paths_are_deprecated_aliases(node: Node) -> None:
    with node.client() as c:
        current = c.get("/api/v1/extensions/ping")
        assert "deprecation" not in current.headers
        old = c.get("/api/extensions/ping")
        assert old.status_code == 200
        assert old.json()["data"]["name"] == current.json()["data"]["name"]
        assert old.headers["deprecation"] == "true"
        assert old.headers["link"] == '</api/v1/extensions/ping>; rel="successor-version"'
        posted = c.post("/api/tasks", json={"function": "ping.ping.ping", "wait": True})
        assert posted.status_code == 200 and posted.headers["deprecation"] == "true"
        assert c.get("/api/health").headers["link"] == '</api/v1/health>; rel="successor-version"'
        missing = c.get("/api/tasks/nope")
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
        assert missing.headers["deprecation"] == "true"
        assert missing.headers["link"] == '</api/v1/tasks/nope>; rel="successor-version"'


def test_openapi_document_and_docs_page(node: Node) -> None:
    with node.client() as c:
        response = c.get("/api/openapi.json")
        assert response.status_code == 200
        schema = response.json()
        assert schema["openapi"].startswith("3.1")
        paths = set(schema["paths"])
        assert "/api/v1/tasks" in paths and "/api/v1/relationships/graph" in paths
        assert "/api/v1/extensions/{extension}/{runner}/{function}" in paths
        assert not [p for p in paths if not p.startswith("/api/v1/")], "only v1 is documented"
        docs = c.get("/api/docs")
        assert docs.status_code == 200 and "text/html" in docs.headers["content-type"]
        assert "swagger" in docs.text.lower()


def test_every_route_declares_rbac_or_public(node: Node) -> None:
    missing = []
    for route in node.app.routes:
        for handler in getattr(route, "route_handlers", []):
            opt: dict[str, Any] = handler.opt
            path = route.path
            if path == "/control/rpc" or handler.http_methods == {"OPTIONS"}:
                continue  # the CLI's route (its own token) and litestar's automatic OPTIONS
            if opt.get("public") is True:
                assert path.split("/")[-1] in {
                    "health",
                    "ready",
                    "metrics",
                    "openapi.json",
                    "docs",
                    "swagger",
                    "{path:str}",
                    "schema",
                } or path.startswith("/api/schema"), path
                continue
            rbac = opt.get("rbac")
            if not (isinstance(rbac, tuple) and len(rbac) == 2 and rbac[1] in ACTIONS):
                missing.append((path, sorted(handler.http_methods)))
    assert not missing


def test_create_app_passes_middleware_and_works_without_operations() -> None:
    seen: list[tuple[str, Any]] = []

    def recorder(app: Any) -> Any:
        async def middleware(scope: Any, receive: Any, send: Any) -> None:
            seen.append((scope["path"], scope["route_handler"].opt))
            await app(scope, receive, send)

        return middleware

    app = create_app(Catalog.load(load_settings()), middleware=[recorder])
    with TestClient(app) as c:
        assert c.get("/api/v1/health").status_code == 200
        assert c.get("/api/v1/extensions").status_code == 200
        assert c.get("/api/v1/tasks").status_code == 404  # needs a runtime: not served
    assert ("/api/v1/health", {"public": True}) in seen
    assert ("/api/v1/extensions", {"rbac": ("extensions/", "list")}) in seen
