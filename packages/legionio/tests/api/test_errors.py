"""Every failure answers in the error envelope with a 4xx, over a real HTTP server."""

from __future__ import annotations

import pytest

from .conftest import Node


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "meta"}
    assert {"code", "message", "details"} <= set(body["error"])
    assert {"timestamp", "node"} <= set(body["meta"])
    if code is not None:
        assert body["error"]["code"] == code
    return body["error"]


def test_unknown_route_and_method(node: Node) -> None:
    with node.client() as c:
        assert_error(c.get("/api/v1/nowhere"), 404, "not_found")
        assert_error(c.get("/nowhere/at/all"), 404, "not_found")
        assert_error(c.get("/api/schema/nothing-here"), 404, "not_found")
        assert_error(c.put("/api/v1/tasks"), 405, "method_not_allowed")


def test_malformed_json_is_400(node: Node) -> None:
    with node.client() as c:
        response = c.post(
            "/api/v1/tasks", content=b'{"function": ', headers={"content-type": "application/json"}
        )
        assert_error(response, 400, "malformed_json")
        assert_error(c.post("/api/v1/chains"), 400, "bad_request")


def test_wrong_types_and_unknown_fields_are_422_naming_the_field(node: Node) -> None:
    with node.client() as c:
        error = assert_error(c.post("/api/v1/tasks", json={"function": 7}), 422)
        assert error["details"][0]["field"] == "function"
        error = assert_error(
            c.post("/api/v1/tasks", json={"function": "ping.ping.ping", "bogus": 1}), 422
        )
        assert "bogus" in error["message"]
        error = assert_error(c.post("/api/v1/chains", json={}), 422)
        assert error["details"][0]["field"] == "name"
        assert_error(c.post("/api/v1/chains", json=["not", "an", "object"]), 422)


def test_oversize_body_is_413(node: Node) -> None:
    limit = node.runtime.settings.api.max_body_bytes
    with node.client() as c:
        big = {"function": "ping.ping.ping", "args": {"message": "x" * (limit + 1)}}
        assert_error(c.post("/api/v1/tasks", json=big), 413, "payload_too_large")


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/tasks/..%2F..%2Fetc%2Fpasswd",
        "/api/v1/tasks/%2e%2e",
        "/api/v1/tasks/..",
        "/api/v1/chains/%00",
        "/api/v1/chains/a%0Ab",
        "/api/v1/extensions/..%5C..%5Cwindows",
        "/api/v1/extensions/ping/..%2F/ping",
        "/api/v1/relationships/-1",
        "/api/v1/relationships/99999999999999999999999",
        "/api/v1/relationships/abc",
        "/api/v1/schedules/%2e%2e%2f",
    ],
)
def test_path_traversal_in_ids_is_400_or_404(node: Node, path: str) -> None:
    with node.client() as c:
        for method in ("GET", "DELETE", "PATCH"):
            response = c.request(method, path, json={})
            assert response.status_code in (400, 404, 405), (method, response.text)
            assert "error" in response.json()


def test_page_size_has_a_documented_maximum(node: Node) -> None:
    from legion.app.api.pagination import MAX_LIMIT

    with node.client() as c:
        for query in (f"limit={MAX_LIMIT + 1}", "limit=0", "limit=-5", "limit=1e9", "offset=-1"):
            error = assert_error(c.get(f"/api/v1/tasks?{query}"), 400, "bad_request")
            assert error["details"][0]["source"] == "query"
        assert_error(c.get("/api/v1/tasks?offset=99999999999999999999999"), 400)
        assert c.get(f"/api/v1/tasks?limit={MAX_LIMIT}").status_code == 200


def test_engine_refusals_are_4xx(node: Node) -> None:
    with node.client() as c:
        assert_error(c.get("/api/v1/tasks?status=nonsense"), 400, "bad_request")
        assert_error(c.post("/api/v1/tasks", json={"function": "no.such.thing"}), 404)
        assert_error(c.get("/api/v1/extensions/nope"), 404)
        assert_error(c.get("/api/v1/relationships/424242"), 404)
        assert_error(c.post("/api/v1/extensions/ping/ping/nope", json={}), 404)
