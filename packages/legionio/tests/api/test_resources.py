"""Relationships, chains, schedules, extensions, nodes, settings and transport through the
API, each backed by the same operations the CLI uses."""

from __future__ import annotations

from .conftest import Node


def test_relationship_lifecycle_and_graph(node: Node) -> None:
    with node.client() as c:
        chain = c.post("/api/v1/chains", json={"name": "api-chain", "description": "test"})
        assert chain.status_code == 201, chain.text
        created = c.post(
            "/api/v1/relationships",
            json={"trigger": "ping.ping.ping", "action": "health.check.ping", "chain": "api-chain"},
        )
        assert created.status_code == 201, created.text
        rel_id = created.json()["data"]["id"]
        assert c.get(f"/api/v1/relationships/{rel_id}").json()["data"]["action"] == (
            "health.check.ping"
        )
        listed = c.get("/api/v1/relationships", params={"chain": "api-chain"}).json()
        assert [r["id"] for r in listed["data"]] == [rel_id] and listed["meta"]["total"] == 1
        graph = c.get("/api/v1/relationships/graph").json()["data"]
        assert {"source": "ping.ping.ping", "target": "health.check.ping"}.items() <= next(
            e for e in graph["edges"] if e["id"] == rel_id
        ).items()
        assert {n["id"] for n in graph["nodes"]} >= {"ping.ping.ping", "health.check.ping"}

        paused = c.patch(f"/api/v1/relationships/{rel_id}", json={"active": False})
        assert paused.status_code == 200 and paused.json()["data"]["active"] is False
        renamed = c.patch(f"/api/v1/relationships/{rel_id}", json={"name": "renamed"}).json()
        new_id = renamed["data"]["id"]
        assert renamed["data"]["replaced"] == rel_id and renamed["data"]["name"] == "renamed"
        assert c.get(f"/api/v1/relationships/{rel_id}").status_code == 404
        assert c.patch(f"/api/v1/relationships/{new_id}", json={}).status_code == 400

        shown = c.get("/api/v1/chains/api-chain").json()["data"]
        assert [r["id"] for r in shown["relationships"]] == [new_id]
        on = c.patch("/api/v1/chains/api-chain", json={"active": True}).json()["data"]
        assert all(r["active"] for r in on["relationships"])
        assert any(ch["name"] == "api-chain" for ch in c.get("/api/v1/chains").json()["data"])
        assert c.delete(f"/api/v1/relationships/{new_id}").status_code == 200
        deleted = c.delete("/api/v1/chains/api-chain")
        assert deleted.status_code == 200 and deleted.json()["data"]["deleted"] == "api-chain"
        assert c.get("/api/v1/chains/api-chain").status_code == 404


def test_relationship_to_an_unknown_function_is_refused(node: Node) -> None:
    with node.client() as c:
        response = c.post(
            "/api/v1/relationships", json={"trigger": "ping.ping.ping", "action": "no.such.fn"}
        )
        assert response.status_code in (400, 404, 422)
        assert "no.such.fn" in response.json()["error"]["message"]


def test_schedule_lifecycle(node: Node) -> None:
    with node.client() as c:
        created = c.post(
            "/api/v1/schedules",
            json={"name": "api-every", "function": "ping.ping.ping", "every": 3600},
        )
        assert created.status_code == 201, created.text
        rows = c.get("/api/v1/schedules").json()
        assert any(r["name"] == "api-every" for r in rows["data"])
        assert rows["meta"]["total"] >= 1
        updated = c.patch("/api/v1/schedules/api-every", json={"cron": "*/5 * * * *"})
        assert updated.status_code == 200, updated.text
        row = next(r for r in c.get("/api/v1/schedules").json()["data"] if r["name"] == "api-every")
        assert row["cron"] == "*/5 * * * *"
        bad = c.patch("/api/v1/schedules/api-every", json={"cron": "not a cron"})
        assert 400 <= bad.status_code < 500
        assert c.patch("/api/v1/schedules/missing", json={"every": 5}).status_code == 404
        assert c.delete("/api/v1/schedules/api-every").status_code == 200
        names = [r["name"] for r in c.get("/api/v1/schedules").json()["data"]]
        assert "api-every" not in names


def test_extensions_runners_functions_and_enable_disable(node: Node) -> None:
    with node.client() as c:
        runners = c.get("/api/v1/extensions/log/runners").json()["data"]
        assert [r["runner"] for r in runners] == ["message"]
        assert {f["function"] for f in runners[0]["functions"]} == {"write"}
        schema = c.get("/api/v1/extensions/ping/ping/ping").json()["data"]["input_schema"]
        assert "message" in schema["properties"]

        off = c.patch("/api/v1/extensions/ping", json={"enabled": False})
        assert off.status_code == 200 and off.json()["data"]["status"] == "disabled"
        try:
            gone = c.post("/api/v1/extensions/ping/ping/ping", json={})
            assert gone.status_code == 404
        finally:
            on = c.patch("/api/v1/extensions/ping", json={"enabled": True})
        assert on.status_code == 200 and on.json()["data"]["status"] == "loaded"
        assert c.post("/api/v1/extensions/ping/ping/ping?wait=true").status_code == 200
        assert (
            c.patch("/api/v1/extensions/not-installed", json={"enabled": True}).status_code == 404
        )


def test_nodes_settings_and_transport(node: Node) -> None:
    with node.client() as c:
        nodes = c.get("/api/v1/nodes").json()
        assert isinstance(nodes["data"], list) and "total" in nodes["meta"]
        settings = c.get("/api/v1/settings").json()["data"]
        assert settings["mode"] == "lite" and settings["api"]["max_body_bytes"] == 64 * 1024
        transport = c.get("/api/v1/transport").json()["data"]
        assert transport == {
            "mode": "lite",
            "transport": "memory://",
            "distributed": False,
            "events": True,
            "spool_pending": None,
        }


def test_transport_url_password_is_redacted(node: Node) -> None:
    from legion.app.operations import Operations

    settings = node.runtime.settings.model_copy(deep=True)
    settings.transport.url = "amqp://legion:hunter2@broker:5672/"
    runtime = type(node.runtime)(**{**vars(node.runtime), "settings": settings})
    shown = Operations(runtime, engine_running=False).op_transport_status()
    assert "hunter2" not in shown["transport"] and "broker" in shown["transport"]
