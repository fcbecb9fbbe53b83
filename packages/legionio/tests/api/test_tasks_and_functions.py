"""Running functions through the API: async (202) and waited (200), schema checks, pagination,
logs and cancelling — over a real HTTP server."""

from __future__ import annotations

from typing import Any

import httpx

from .conftest import Node, wait_until


def task_status(c: httpx.Client, task_id: str) -> str:
    return str(c.get(f"/api/v1/tasks/{task_id}").json()["data"]["status"])


def test_invoke_async_answers_202_with_the_task_id(node: Node) -> None:
    with node.client() as c:
        response = c.post("/api/v1/extensions/ping/ping/ping", json={"message": "async"})
        assert response.status_code == 202, response.text
        task_id = response.json()["data"]["task_id"]
        wait_until(lambda: task_status(c, task_id) == "completed", "the task to complete")
        shown = c.get(f"/api/v1/tasks/{task_id}").json()["data"]
        assert shown["function"] == "ping.ping.ping"
        assert shown["result"]["message"] == "async"
        logs = c.get(f"/api/v1/tasks/{task_id}/logs").json()
        assert logs["meta"]["total"] == len(logs["data"]) >= 1


def test_invoke_with_wait_answers_200_with_the_result(node: Node) -> None:
    with node.client() as c:
        response = c.post("/api/v1/extensions/ping/ping/ping?wait=true", json={"message": "hi"})
        assert response.status_code == 200, response.text
        data = response.json()["data"]
        assert data["status"] == "completed"
        assert data["result"]["reply"] == "pong" and data["result"]["message"] == "hi"
        empty = c.post("/api/v1/extensions/ping/ping/ping?wait=true")
        assert empty.status_code == 200 and empty.json()["data"]["result"]["reply"] == "pong"


def test_invoke_checks_the_functions_schema_and_names_the_fields(node: Node) -> None:
    with node.client() as c:
        response = c.post("/api/v1/extensions/ping/ping/ping", json={"message": 5, "colour": 1})
        assert response.status_code == 422
        error = response.json()["error"]
        assert {d["field"] for d in error["details"]} == {"message", "colour"}
        assert "message" in error["message"] and "colour" in error["message"]


def test_functions_that_are_not_remote_invocable_are_refused(node: Node) -> None:
    with node.client() as c:
        for args in ({"argv": ["true"]}, {"argv": 5}):  # refused before its schema is checked
            response = c.post("/api/v1/extensions/exec/command/run", json=args)
            assert response.status_code == 400
            assert "remotely invocable" in response.json()["error"]["message"]


def test_create_task_and_filters(node: Node) -> None:
    with node.client() as c:
        done = c.post(
            "/api/v1/tasks", json={"function": "ping.ping.ping", "args": {}, "wait": True}
        )
        assert done.status_code == 200 and done.json()["data"]["status"] == "completed"
        queued = c.post("/api/v1/tasks", json={"function": "ping.ping.ping"})
        assert queued.status_code == 202
        rows = c.get("/api/v1/tasks", params={"function": "ping.ping.ping"}).json()["data"]
        assert rows and all(r["function"] == "ping.ping.ping" for r in rows)
        none = c.get("/api/v1/tasks", params={"function": "health.check.ping"}).json()
        assert none["data"] == [] and none["meta"]["total"] == 0


def test_pagination_meta_walks_every_task_once(node: Node) -> None:
    with node.client() as c:
        for i in range(7):
            r = c.post(
                "/api/v1/tasks",
                json={
                    "function": "log.message.write",
                    "args": {"message": f"page {i}"},
                    "wait": True,
                },
            )
            assert r.status_code == 200, r.text
        seen: list[str] = []
        offset = 0
        while True:
            body: dict[str, Any] = c.get(
                "/api/v1/tasks",
                params={"function": "log.message.write", "limit": 3, "offset": offset},
            ).json()
            meta = body["meta"]
            assert meta["limit"] == 3 and meta["offset"] == offset and meta["total"] == 7
            seen += [t["task_id"] for t in body["data"]]
            assert meta["has_more"] == (offset + len(body["data"]) < 7)
            if not meta["has_more"]:
                break
            offset += 3
        assert len(seen) == len(set(seen)) == 7
        past = c.get("/api/v1/tasks", params={"function": "log.message.write", "offset": 50})
        assert past.json()["data"] == [] and past.json()["meta"]["has_more"] is False


def test_cancelling_a_finished_task_is_a_409_and_unknown_is_404(node: Node) -> None:
    with node.client() as c:
        task_id = c.post("/api/v1/extensions/ping/ping/ping?wait=true").json()["data"]["task_id"]
        response = c.delete(f"/api/v1/tasks/{task_id}")
        assert response.status_code == 409, response.text
        assert response.json()["error"]["code"] == "conflict"
        assert c.delete("/api/v1/tasks/no-such-task").status_code == 404
