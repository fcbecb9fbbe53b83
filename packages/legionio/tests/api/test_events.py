"""The SSE stream delivers `task.completed` for a task started while it is open."""

from __future__ import annotations

import json
import time

from .conftest import Node


def test_stream_receives_task_completed(node: Node) -> None:
    with node.client() as c, c.stream("GET", "/api/v1/events?pattern=task.%23") as stream:
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        lines = stream.iter_lines()
        for line in lines:  # the server says when its subscription is live
            if line.startswith(": subscribed"):
                break
        with node.client() as other:
            started = other.post("/api/v1/extensions/ping/ping/ping", json={"message": "sse"})
            task_id = started.json()["data"]["task_id"]
        deadline = time.monotonic() + 30
        event = None
        for line in lines:
            assert time.monotonic() < deadline, "no task.completed event in time"
            if line.startswith("event: "):
                event = line.removeprefix("event: ")
            elif line.startswith("data: ") and event == "task.completed":
                body = json.loads(line.removeprefix("data: "))
                if body["id"] == task_id:
                    assert body["function"] == "ping.ping.ping"
                    break
        else:
            raise AssertionError("the stream ended before the event")


def test_stream_refuses_a_pattern_outside_task_events(node: Node) -> None:
    with node.client() as c:
        response = c.get("/api/v1/events", params={"pattern": "secret.#"})
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "bad_request"
