"""Every operation of the served OpenAPI document, against a real node behind the security
layer: without credentials a 401 (public routes excepted), as a role the route's RBAC
declaration does not grant a 403 in the error envelope naming the resource and action, as a
role it grants anything but 401/403 (a success, or a 4xx about the input such as a 404 for a
made-up id). The unversioned `/api/...` twins answer the same.

The expected decision per role comes from the route's `opt={"rbac": (template, action)}`, the
template filled with the path values sent, asked of legion-rbac with the built-in roles; on top
of that, what each built-in role is meant to reach is spelled out: admin everything, supervisor
everything here (no route changes settings or RBAC), observer every GET and no change, and a
role granting nothing nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from legion.rbac import Engine, load_paths

PUBLIC_IN_DOCUMENT = {"/api/v1/health", "/api/v1/ready"}
PUBLIC_ELSEWHERE = ["/api/openapi.json", "/api/docs", "/metrics"]
ROLES = ("admin", "supervisor", "worker", "observer", "nobody")
NOBODY_POLICY = """
description = "Grants nothing the API serves."

path "nothing/*" {
  capabilities = ["read"]
}
"""
# Plausible path values: real where a real one exists, made up where a 404 is the answer.
PATH_VALUES = {
    "task_id": "no-such-task",
    "relationship_id": "424242",
    "name": "every-route",
    "extension": "ping",
    "runner": "ping",
    "function": "ping",
}
# Bodies that are valid, so an allowed role gets past validation; none of them loops or
# disables anything (a relationship to a function that does not exist is a 404).
BODIES: dict[tuple[str, str], Any] = {
    ("POST", "/api/v1/tasks"): {"function": "ping.ping.ping", "args": {"message": "hi"}},
    ("POST", "/api/v1/relationships"): {"trigger": "ping.ping.ping", "action": "no.such.fn"},
    ("PATCH", "/api/v1/relationships/{relationship_id}"): {"active": False},
    ("POST", "/api/v1/chains"): {"name": "every-route"},
    ("PATCH", "/api/v1/chains/{name}"): {"active": True},
    ("POST", "/api/v1/schedules"): {
        "name": "every-route",
        "function": "ping.ping.ping",
        "every": 86400,
    },
    ("PATCH", "/api/v1/schedules/{name}"): {"every": 43200},
    ("PATCH", "/api/v1/extensions/{extension}"): {"enabled": True},
    ("POST", "/api/v1/extensions/{extension}/{runner}/{function}"): {"message": "hi"},
}
METHODS = ("get", "post", "put", "patch", "delete")
PLACEHOLDER = re.compile(r"\{(\w+)(?::[^}]*)?\}")


@pytest.fixture(scope="module")
def policies(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("every-route-rbac")
    (folder / "nobody.hcl").write_text(NOBODY_POLICY)
    return folder


@pytest.fixture(scope="module")
def node(serve_node: Any, policies: Path) -> Any:
    return serve_node(
        {
            "api": {"auth": {"loopback_open": False}, "rate_limit": {"enabled": False}},
            "rbac": {"policies": [str(policies)]},
        },
        secured=True,
    )


@pytest.fixture(scope="module")
def keys(node: Any) -> dict[str, str]:
    return {role: node.new_key(role, f"every-route-{role}") for role in ROLES}


@pytest.fixture(scope="module")
def client(node: Any) -> Iterator[httpx.Client]:
    with node.client() as c:
        yield c


@pytest.fixture(scope="module")
def operations(client: httpx.Client) -> list[tuple[str, str]]:
    document = client.get("/api/openapi.json").json()  # public: no credentials
    found = [
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in METHODS
        if method in item
    ]
    assert len(found) >= 30
    return found


@pytest.fixture(scope="module")
def declared(node: Any) -> dict[tuple[str, str], dict[str, Any]]:
    """(method, path template as the document writes it) → the route's litestar `opt`."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for route in node.app.routes:
        for handler in getattr(route, "route_handlers", []):
            for method in handler.http_methods:
                found[(method, route.path_format)] = dict(handler.opt or {})
    return found


@pytest.fixture(scope="module")
def rbac(policies: Path) -> Engine:
    """legion-rbac with the built-in roles and the test's `nobody`, one principal per role."""
    engine = Engine(load_paths([str(policies)]))
    for role in ROLES:
        engine.assign(f"key:probe-{role}", role)
    return engine


def url_of(path: str) -> str:
    return PLACEHOLDER.sub(lambda m: PATH_VALUES[m.group(1)], path)


def resource_of(opt: dict[str, Any]) -> tuple[str, str]:
    template, action = opt["rbac"]
    return PLACEHOLDER.sub(lambda m: PATH_VALUES[m.group(1)], template).lstrip("/"), action


def call(client: httpx.Client, method: str, path: str, key: str | None, url: str = "") -> Any:
    headers = {"X-API-Key": key} if key else {}
    body = BODIES.get((method, path))
    target = url or url_of(path)
    if path.endswith("/events"):  # a stream that never ends: look at the status, then close
        with client.stream(method, target, headers=headers) as response:
            if response.status_code != 200:
                response.read()
            return response
    return client.request(method, target, headers=headers, json=body)


def assert_envelope(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error", "meta"}, body
    assert body["error"]["code"] == code, body
    assert {"code", "message", "details"} <= set(body["error"])
    return dict(body["error"])


def intended(role: str, method: str) -> bool | None:
    """What each built-in role is meant to reach on this API, or None (left to the policy)."""
    return {
        "admin": True,
        "supervisor": True,
        "observer": method == "GET",
        "nobody": False,
    }.get(role)


def test_without_credentials_every_route_but_the_public_ones_is_401(
    client: httpx.Client, operations: list[tuple[str, str]]
) -> None:
    for method, path in operations:
        response = call(client, method, path, None)
        if path in PUBLIC_IN_DOCUMENT:
            assert response.status_code == 200, (method, path, response.text)
            continue
        error = assert_envelope(response, 401, "unauthorized")
        assert "X-API-Key" in error["message"] or "Bearer" in error["message"]
        assert response.headers["www-authenticate"].startswith("Bearer")
    for path in PUBLIC_ELSEWHERE:
        response = client.get(path)
        assert response.status_code not in (401, 403), (path, response.text)


def test_each_role_gets_exactly_what_the_route_declares(
    client: httpx.Client,
    operations: list[tuple[str, str]],
    declared: dict[tuple[str, str], dict[str, Any]],
    keys: dict[str, str],
    rbac: Engine,
) -> None:
    checked = {role: {"allowed": 0, "denied": 0} for role in ROLES}
    for method, path in operations:
        opt = declared[(method, path)]
        if opt.get("public"):
            assert path in PUBLIC_IN_DOCUMENT, (method, path)
            continue
        assert "rbac" in opt, (method, path)
        resource, action = resource_of(opt)
        for role in ROLES:
            allowed = rbac.check(f"key:probe-{role}", resource, action).allowed
            meant = intended(role, method)
            assert meant is None or allowed == meant, (
                f"{role} on {method} {path} ({action} {resource}): the policy says {allowed}"
            )
            response = call(client, method, path, keys[role])
            label = f"{role} {method} {path} -> {response.status_code}"
            if allowed:
                checked[role]["allowed"] += 1
                assert response.status_code not in (401, 403), label
                assert response.status_code < 500, label
                if response.status_code >= 400:
                    assert response.status_code in (400, 404, 409, 422), label
                    assert set(response.json()) == {"error", "meta"}, label
            else:
                checked[role]["denied"] += 1
                error = assert_envelope(response, 403, "forbidden")
                assert error["details"]["resource"] == resource, label
                assert error["details"]["action"] == action, label
                assert error["details"]["principal"].startswith("key:"), label
    assert checked["admin"]["denied"] == 0 and checked["nobody"]["allowed"] == 0
    assert checked["observer"]["allowed"] > 0 and checked["observer"]["denied"] > 0
    assert checked["worker"]["allowed"] > 0 and checked["worker"]["denied"] > 0


def test_a_worker_runs_functions_and_starts_tasks_but_manages_nothing(
    client: httpx.Client, keys: dict[str, str]
) -> None:
    worker = {"X-API-Key": keys["worker"]}
    started = client.post("/api/v1/tasks", headers=worker, json={"function": "ping.ping.ping"})
    assert started.status_code in (200, 202), started.text
    task_id = started.json()["data"]["task_id"]
    assert client.get(f"/api/v1/tasks/{task_id}", headers=worker).status_code == 200
    invoked = client.post("/api/v1/extensions/ping/ping/ping", headers=worker, json={})
    assert invoked.status_code in (200, 202), invoked.text
    for method, url in (
        ("DELETE", f"/api/v1/tasks/{task_id}"),
        ("GET", "/api/v1/tasks"),
        ("GET", "/api/v1/settings"),
        ("POST", "/api/v1/chains"),
        ("PATCH", "/api/v1/extensions/ping"),
    ):
        body = {"name": "worker-chain"} if method == "POST" else {"enabled": True}
        assert_envelope(client.request(method, url, headers=worker, json=body), 403, "forbidden")


def test_the_unversioned_twins_answer_the_same(
    client: httpx.Client, operations: list[tuple[str, str]], keys: dict[str, str]
) -> None:
    """Refusals included: the 401 and 403 the security layer answers itself carried no
    `Deprecation`/`Link` headers while the marking was the twin router's own middleware."""
    for method, path in operations:
        if path.endswith("/events") or method != "GET":
            continue  # reads are enough to compare; a twin is the same handler mounted again
        twin = url_of(path).replace("/api/v1/", "/api/", 1)
        anonymous = call(client, method, path, None, twin)
        expected_anonymous = 200 if path in PUBLIC_IN_DOCUMENT else 401
        assert anonymous.status_code == expected_anonymous, (twin, anonymous.text)
        assert anonymous.headers["deprecation"] == "true"
        assert anonymous.headers["link"] == f'<{url_of(path)}>; rel="successor-version"'
        for role in ("admin", "nobody"):
            versioned = call(client, method, path, keys[role])
            unversioned = call(client, method, path, keys[role], twin)
            assert unversioned.status_code == versioned.status_code, (role, twin)
            assert unversioned.headers["deprecation"] == "true"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/chains/R%F1%B9%9F%BF%C3%B3%C2%A6L%C3%BB%1D",  # what schemathesis sent
        "/api/v1/chains/a%0Ab",
        "/api/v1/chains/%20padded%20",
        "/api/v1/extensions/ping%C2%A0",
        "/api/v1/tasks/..%2F..%2Fsettings",
        "/api/v1/extensions/ping/%00/ping",
        "/api/v1/schedules/%E2%80%8Bzero-width",
    ],
)
def test_path_values_no_resource_can_hold_are_400_not_500(
    client: httpx.Client, keys: dict[str, str], path: str
) -> None:
    """Found by schemathesis: a path value RBAC cannot take as a resource (a control character,
    spaces at an end) made the security layer answer 500 "cannot authorize this route"."""
    for role in ("admin", "nobody"):
        for method in ("GET", "PATCH", "DELETE"):
            response = client.request(method, path, headers={"X-API-Key": keys[role]}, json={})
            label = f"{role} {method} {path} -> {response.status_code} {response.text[:200]}"
            assert response.status_code in (400, 404, 405), label
            assert set(response.json()) == {"error", "meta"}, label
    assert client.get(path).status_code in (401, 404, 405), path  # credentials are asked first
