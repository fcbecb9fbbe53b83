from litestar.testing import TestClient

from legion.app._version import __version__
from legion.app.api.app import create_app
from legion.core.catalog import Catalog
from legion.core.settings import load_settings


def client() -> TestClient:  # type: ignore[type-arg]
    return TestClient(create_app(Catalog.load(load_settings())))


def test_health_envelope() -> None:
    with client() as c:
        for path in ("/api/health", "/api/v1/health"):
            body = c.get(path).json()
            assert body["data"]["status"] == "ok"
            assert body["data"]["version"] == __version__
            assert body["data"]["mode"] == "lite"
            assert {"timestamp", "node"} <= set(body["meta"])


def test_extensions_come_from_the_registry() -> None:
    with client() as c:
        rows = c.get("/api/v1/extensions").json()["data"]
        ping = next(r for r in rows if r["name"] == "ping")
        assert ping["functions"] == ["ping.ping.ping"]
        detail = c.get("/api/v1/extensions/ping").json()["data"]
        assert detail["functions"][0]["input_schema"]["properties"]["message"]


def test_errors_use_the_error_envelope() -> None:
    with client() as c:
        missing = c.get("/api/v1/extensions/nope")
        assert missing.status_code == 404
        assert missing.json()["error"]["code"] == "not_found"
        assert "nope" in missing.json()["error"]["message"]
        route = c.get("/api/v1/nowhere")
        assert route.status_code == 404 and route.json()["error"]["code"] == "not_found"
