"""Every failure answers in the error envelope with a 4xx, over a real HTTP server."""

from __future__ import annotations

from collections.abc import Iterator

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


def test_bodies_that_are_not_objects_or_not_json_are_4xx(node: Node) -> None:
    json_type = {"content-type": "application/json"}
    with node.client() as c:
        for raw in (b"null", b'"ping.ping.ping"', b"123", b"[1, 2]", b"true"):
            assert_error(c.post("/api/v1/tasks", content=raw, headers=json_type), 422)
        for raw in (b"\xff\xfe{}", b"{'single': 'quotes'}", b'{"timeout": NaN}', b"{,}"):
            response = c.post("/api/v1/tasks", content=raw, headers=json_type)
            assert_error(response, 400, "malformed_json")
        form = {"content-type": "application/x-www-form-urlencoded"}
        assert_error(c.post("/api/v1/tasks", content=b"function=x", headers=form), 400)
        number = b'{"function": "ping.ping.ping", "args": {"x": 1e999}}'
        assert_error(c.post("/api/v1/tasks", content=number, headers=json_type), 400)


def test_a_body_nested_too_deeply_is_400_not_500(node: Node) -> None:
    """Found by probing: `[[[[...]]]]` a few thousand levels deep fits the size limit and made
    the decoder's RecursionError a 500."""
    json_type = {"content-type": "application/json"}
    deep = b"[" * 5000 + b"]" * 5000
    with node.client() as c:
        for path, body in (
            ("/api/v1/tasks", b'{"function": "ping.ping.ping", "payload": {"x": ' + deep + b"}}"),
            ("/api/v1/extensions/ping/ping/ping", b'{"message": ' + deep + b"}"),
            ("/api/v1/chains", b'{"name": ' + deep + b"}"),
            ("/api/v1/relationships", b'{"trigger": "a.b.c", "action": ' + deep + b"}"),
        ):
            error = assert_error(c.post(path, content=body, headers=json_type), 400)
            assert error["code"] == "malformed_json" and "deep" in error["message"]


def test_an_oversize_body_without_a_length_is_413(node: Node) -> None:
    limit = node.runtime.settings.api.max_body_bytes

    def chunks() -> Iterator[bytes]:
        yield b'{"function": "ping.ping.ping", "args": {"message": "'
        for _ in range(limit // 1024 + 1):
            yield b"x" * 1024
        yield b'"}}'

    with node.client() as c:
        response = c.post(
            "/api/v1/tasks", content=chunks(), headers={"content-type": "application/json"}
        )
        assert_error(response, 413, "payload_too_large")


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/extensions/ping/ping/ping?wait=maybe",
        "/api/v1/extensions/ping/ping/ping?timeout=0",
        "/api/v1/extensions/ping/ping/ping?timeout=nan",
        "/api/v1/extensions/ping/ping/ping?timeout=inf",
        "/api/v1/extensions/ping/ping/ping?timeout=301",
    ],
)
def test_bad_query_values_name_the_parameter(node: Node, path: str) -> None:
    with node.client() as c:
        error = assert_error(c.post(path, json={}), 400, "bad_request")
        assert error["details"][0]["source"] == "query"


def test_bad_query_values_on_reads(node: Node) -> None:
    with node.client() as c:
        for path in (
            "/api/v1/nodes?alive_only=perhaps",
            "/api/v1/events?pattern=foo",
            "/api/v1/events?pattern=task.%00",
            "/api/v1/relationships?chain=../x",
            "/api/v1/relationships/graph?chain=a%2Fb",
            "/api/v1/tasks?status=" + "x" * 51,
            "/api/v1/tasks?function=" + "x" * 301,
            "/api/v1/tasks?limit=",
            "/api/v1/tasks?limit=0x10",
        ):
            error = assert_error(c.get(path), 400, "bad_request")
            assert error["details"][0]["source"] == "query", path


def test_ids_past_the_documented_maximum_are_400(node: Node) -> None:
    from legion.app.api.params import MAX_ID

    with node.client() as c:
        assert_error(c.get(f"/api/v1/relationships/{MAX_ID + 1}"), 400, "bad_request")
        assert_error(c.get(f"/api/v1/relationships/{MAX_ID}"), 404, "not_found")
        assert_error(c.get("/api/v1/relationships/0"), 400, "bad_request")
        assert_error(c.get("/api/v1/tasks/" + "a" * 201), 400, "bad_request")


def test_taken_names_are_409_conflicts(node: Node) -> None:
    with node.client() as c:
        assert c.post("/api/v1/chains", json={"name": "taken-chain"}).status_code == 201
        error = assert_error(c.post("/api/v1/chains", json={"name": "taken-chain"}), 409)
        assert error["code"] == "conflict" and "already exists" in error["message"]
        schedule = {"name": "taken-schedule", "function": "ping.ping.ping", "every": 86400}
        assert c.post("/api/v1/schedules", json=schedule).status_code == 201
        assert_error(c.post("/api/v1/schedules", json=schedule), 409, "conflict")
        assert c.delete("/api/v1/schedules/taken-schedule").status_code == 200


def test_options_and_405_name_every_method_of_the_path(node: Node) -> None:
    """Found by schemathesis: litestar's automatic OPTIONS listed only the first handler's
    methods (`Allow: GET, OPTIONS` on /tasks, which takes POST too)."""
    with node.client() as c:
        for path, methods in (
            ("/api/v1/tasks", "GET, OPTIONS, POST"),
            ("/api/v1/tasks/x", "DELETE, GET, OPTIONS"),
            ("/api/v1/chains/x", "DELETE, GET, OPTIONS, PATCH"),
            ("/api/v1/schedules/x", "DELETE, OPTIONS, PATCH"),
            ("/api/v1/extensions/ping", "GET, OPTIONS, PATCH"),
            ("/api/tasks", "GET, OPTIONS, POST"),
        ):
            response = c.options(path)
            assert response.status_code == 204, path
            assert response.headers["allow"] == methods, path
        refused = c.put("/api/v1/chains/x", json={})
        assert_error(refused, 405, "method_not_allowed")
        allowed = {m.strip() for m in refused.headers["allow"].split(",")}
        assert allowed == {"DELETE", "GET", "OPTIONS", "PATCH"}
