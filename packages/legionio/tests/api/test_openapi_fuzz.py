"""Walks every operation of `/api/openapi.json` with generated valid and invalid inputs
(hypothesis): no response is a 5xx, every status is one the operation declares, and every
body is the `{data, meta}` or `{error, meta}` envelope."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import Node
from .openapi_strategies import Schemas

EXAMPLES = 25
METHODS = ("get", "post", "put", "patch", "delete")


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    found = []
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item:
                found.append((path, method, item[method]))
    return found


def is_stream(operation: dict[str, Any]) -> bool:
    content = operation["responses"].get("200", {}).get("content", {})
    return "text/event-stream" in content


def check(
    response: httpx.Response, operation: dict[str, Any], label: str, broken: str | None = None
) -> None:
    """No 5xx, a declared status, the envelope. A broken path segment (say `/`) may make the
    URL name another route, so a 404 or 405 is right there too."""
    status = response.status_code
    assert status < 500, f"{label}: {status} {response.text[:300]}"
    declared = {int(code) for code in operation["responses"] if code.isdigit()}
    if broken == "path":
        declared |= {404, 405}
    assert status in declared, f"{label}: undeclared {status} {response.text[:300]}"
    body = response.json()
    if status < 400:
        assert set(body) == {"data", "meta"}, label
    else:
        assert set(body) == {"error", "meta"}, label
        assert {"code", "message", "details"} <= set(body["error"]), label


class Caller:
    """Builds and sends one request for an operation from drawn parameters."""

    def __init__(self, client: httpx.Client, schemas: Schemas, path: str, op: dict[str, Any]):
        self.client, self.schemas, self.path, self.op = client, schemas, path, op
        self.statuses: list[int] = []
        params = op.get("parameters", [])
        self.path_params = [p for p in params if p["in"] == "path"]
        self.query_params = [p for p in params if p["in"] == "query"]
        body = op.get("requestBody", {}).get("content", {}).get("application/json")
        self.body_schema: dict[str, Any] | None = body["schema"] if body else None

    def draw_valid(self, data: st.DataObject) -> dict[str, Any]:
        url = self.path
        for p in self.path_params:
            value = data.draw(self.schemas.valid(p["schema"]), label=p["name"])
            url = url.replace("{" + p["name"] + "}", quote(str(value), safe=""))
        query = {}
        for p in self.query_params:
            if data.draw(st.booleans(), label=f"send {p['name']}"):
                value = data.draw(self.schemas.valid(p["schema"]), label=p["name"])
                if value is not None:
                    query[p["name"]] = json.dumps(value) if isinstance(value, bool) else str(value)
        content = None
        if self.body_schema is not None:
            content = json.dumps(data.draw(self.schemas.valid(self.body_schema), label="body"))
        return {"url": url, "params": query, "content": content}

    def draw_invalid(self, data: st.DataObject) -> dict[str, Any]:
        request = self.draw_valid(data)
        targets = ["path"] * bool(self.path_params) + ["query"] * bool(self.query_params)
        targets += ["body"] * (self.body_schema is not None)
        if not targets:
            return request
        target = data.draw(st.sampled_from(targets), label="break")
        request["broken"] = target
        junk = st.text(min_size=1, max_size=30) | st.sampled_from(
            ["..", "../../etc/passwd", "%00", "-1", "1e999", "999999999999999999999999", " "]
        )
        if target == "path":
            p = data.draw(st.sampled_from(self.path_params))
            url = self.path
            for other in self.path_params:
                value = data.draw(junk) if other is p else "x"
                url = url.replace("{" + other["name"] + "}", quote(value, safe=""))
            request["url"] = url
        elif target == "query":
            p = data.draw(st.sampled_from(self.query_params))
            request["params"] = {**request["params"], p["name"]: data.draw(junk)}
        else:
            assert self.body_schema is not None
            request["content"] = data.draw(self.schemas.invalid_body(self.body_schema))
        return request

    def send(self, method: str, request: dict[str, Any]) -> httpx.Response:
        """Sends it; an event stream that opens (200) is closed unread, since it never ends."""
        headers = {"content-type": "application/json"} if request["content"] is not None else {}
        built = self.client.build_request(
            method.upper(),
            request["url"],
            params=request["params"],
            content=request["content"],
            headers=headers,
        )
        response = self.client.send(built, stream=True)
        self.statuses.append(response.status_code)
        if is_stream(self.op) and response.status_code == 200:
            response.close()
        else:
            response.read()
        return response


def make_walk(caller: Caller, method: str, op: dict[str, Any], kind: str) -> Any:
    """A hypothesis test of one operation with valid or invalid inputs."""

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(data=st.data())
    def walk(data: st.DataObject) -> None:
        draw = caller.draw_valid if kind == "valid" else caller.draw_invalid
        request = draw(data)
        response = caller.send(method, request)
        if is_stream(op) and response.status_code == 200:
            return
        label = f"{method.upper()} {request['url']} {request['params']}"
        check(response, op, label, request.get("broken"))

    return walk


@pytest.fixture(scope="module")
def document(node: Node) -> dict[str, Any]:
    with node.client() as c:
        found: dict[str, Any] = c.get("/api/openapi.json").json()
    return found


def test_the_document_lists_every_resource(document: dict[str, Any]) -> None:
    paths = set(document["paths"])
    for resource in (
        "tasks",
        "relationships",
        "chains",
        "schedules",
        "extensions",
        "nodes",
        "settings",
        "transport",
        "events",
        "health",
        "ready",
    ):
        assert f"/api/v1/{resource}" in paths


@pytest.mark.parametrize("kind", ["valid", "invalid"])
def test_every_operation_survives_generated_input(
    node: Node, document: dict[str, Any], kind: str
) -> None:
    schemas = Schemas(document)
    walked = 0
    statuses: list[int] = []
    with node.client() as client:
        for path, method, op in operations(document):
            if is_stream(op) and kind == "valid":
                continue  # an open stream never ends; its refusals are covered below
            caller = Caller(client, schemas, path, op)

            walk = make_walk(caller, method, op, kind)
            walk()
            walked += 1
            statuses += caller.statuses
    assert walked >= 20
    assert len(statuses) >= walked * 5, "hypothesis sent too few requests"
    if kind == "valid":
        assert {200, 201} <= set(statuses)  # 202 needs a real function: see test_tasks_*
    else:
        assert {400, 422} <= set(statuses)
