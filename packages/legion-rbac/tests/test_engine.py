"""The engine: built-in roles, assignments, deny wins, the cache and audit mode."""

from __future__ import annotations

import logging

import pytest

from legion.rbac.engine import Engine
from legion.rbac.errors import PolicyError, RequestError
from legion.rbac.hcl import parse_hcl_policy
from legion.rbac.model import PolicySet
from legion.rbac.settings import load_from_settings


def engine_with(settings: dict[str, object], **kwargs: object) -> Engine:
    return Engine(load_from_settings(settings), **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("role", "resource", "action", "allowed"),
    [
        ("observer", "tasks/1", "read", True),
        ("observer", "settings/log", "list", True),
        ("observer", "tasks/1", "update", False),
        ("observer", "extensions/http/get", "execute", False),
        ("worker", "extensions/http/get", "execute", True),
        ("worker", "extensions/http/get", "read", True),
        ("worker", "extensions/http/get", "update", False),
        ("worker", "tasks/9", "create", True),
        ("worker", "tasks/9", "read", True),
        ("worker", "tasks/9", "delete", False),
        ("worker", "nodes/n1", "read", False),
        ("supervisor", "tasks/9", "delete", True),
        ("supervisor", "schedules/nightly", "update", True),
        ("supervisor", "extensions/http/get", "execute", True),
        ("supervisor", "settings/log", "read", True),
        ("supervisor", "settings/log", "update", False),
        ("supervisor", "rbac/roles", "read", False),
        ("supervisor", "rbac", "list", False),
        ("supervisor", "tasks/9", "sudo", False),
        ("admin", "rbac/roles", "update", True),
        ("admin", "settings/log", "update", True),
        ("admin", "anything/else", "sudo", True),
    ],
)
def test_builtin_roles(role: str, resource: str, action: str, allowed: bool) -> None:
    engine = engine_with({"assignments": {"user:someone": [role]}})
    assert engine.check("user:someone", resource, action).allowed is allowed


def test_builtin_roles_exist_and_can_be_left_out() -> None:
    assert [r.name for r in Engine().roles()] == ["observer", "worker", "supervisor", "admin"]
    assert all(r.builtin for r in Engine().roles())
    assert Engine(builtin=False).roles() == []


def test_deny_in_one_role_beats_allow_in_another() -> None:
    engine = engine_with(
        {
            "policies": {"no-secrets": 'path "tasks/+/secrets*" { capabilities = ["deny"] }'},
            "assignments": {"user:alice": ["admin", "no-secrets"], "user:bob": ["admin"]},
        }
    )
    denied = engine.check("user:alice", "tasks/7/secrets", "read")
    assert not denied.allowed
    assert denied.rule is not None and denied.rule.role == "no-secrets" and denied.rule.deny
    assert denied.reason.startswith("denied by role 'no-secrets'")
    assert engine.check("user:alice", "tasks/7/logs", "read").allowed
    assert engine.check("user:bob", "tasks/7/secrets", "read").allowed


def test_deny_beats_a_more_specific_allow() -> None:
    # Unlike Vault's most-specific-path rule: any matching deny wins.
    engine = engine_with(
        {
            "roles": [
                {"name": "a", "rules": [{"path": "tasks/1", "capabilities": ["read"]}]},
                {"name": "b", "rules": [{"path": "tasks/*", "capabilities": ["deny"]}]},
            ],
            "assignments": {"user:x": ["a", "b"]},
        }
    )
    assert not engine.check("user:x", "tasks/1", "read").allowed


def test_allowed_decision_names_the_rule() -> None:
    engine = engine_with({"assignments": {"worker:node-1": ["worker"]}})
    decision = engine.check("worker:node-1", "/tasks/3", "READ")
    assert decision.allowed and not decision.would_deny
    assert (decision.resource, decision.action) == ("tasks/3", "read")
    assert decision.rule is not None
    assert (decision.rule.role, decision.rule.path) == ("worker", "tasks/*")
    assert decision.rule.location == "builtin/worker.hcl:7"
    assert decision.roles == ("worker",)
    assert decision.to_dict()["rule"]["capabilities"] == ["create", "read"]


def test_reasons_when_nothing_matches() -> None:
    engine = engine_with({"assignments": {"key:abc123": ["observer"]}})
    nobody = engine.check("user:nobody", "tasks/1", "read")
    assert not nobody.allowed and nobody.rule is None
    assert nobody.reason == "user:nobody has no roles assigned"
    observer = engine.check("key:abc123", "tasks/1", "delete")
    assert observer.reason == "no rule of role(s) observer grants 'delete' on 'tasks/1'"


def test_assign_and_unassign_flip_cached_decisions() -> None:
    engine = Engine()
    assert not engine.check("user:alice", "tasks/1", "create").allowed
    generation = engine.generation
    engine.assign("user:alice", "worker")
    assert engine.generation > generation
    assert engine.check("user:alice", "tasks/1", "create").allowed
    engine.unassign("user:alice", "worker")
    assert not engine.check("user:alice", "tasks/1", "create").allowed
    assert engine.roles_of("user:alice") == ()


def test_policy_change_flips_a_cached_decision() -> None:
    engine = Engine()
    engine.assign("user:alice", "worker")
    first = engine.check("user:alice", "nodes/n1", "read")
    assert not first.allowed
    assert engine.check("user:alice", "nodes/n1", "read") is first  # served from the cache
    hits = engine.cache.hits
    engine.add_role(parse_hcl_policy('path "nodes/*" { capabilities = ["read"] }', role="worker"))
    flipped = engine.check("user:alice", "nodes/n1", "read")
    assert flipped.allowed
    assert engine.cache.hits == hits  # the change emptied the cache
    # and back: a deny added through load() wins again
    engine.load(
        load_from_settings(
            {
                "policies": {"fence": 'path "nodes/n1" { capabilities = ["deny"] }'},
                "assignments": {"user:alice": ["fence"]},
            }
        )
    )
    assert not engine.check("user:alice", "nodes/n1", "read").allowed
    engine.remove_role("fence")
    assert engine.check("user:alice", "nodes/n1", "read").allowed
    assert engine.roles_of("user:alice") == ("worker",)


def test_replacing_a_role_drops_its_old_rules() -> None:
    engine = Engine()
    engine.assign("user:a", "observer")
    assert engine.check("user:a", "tasks/1", "read").allowed
    engine.add_role(parse_hcl_policy('path "nodes/*" { capabilities = ["read"] }', role="observer"))
    assert not engine.check("user:a", "tasks/1", "read").allowed
    assert engine.check("user:a", "nodes/1", "read").allowed


def test_audit_mode_allows_but_flags_and_logs(caplog: pytest.LogCaptureFixture) -> None:
    engine = engine_with({"enforce": False, "assignments": {"user:alice": ["observer"]}})
    assert not engine.enforce
    with caplog.at_level(logging.WARNING, logger="legion.rbac"):
        decision = engine.check("user:alice", "tasks/1", "delete")
        again = engine.check("user:alice", "tasks/1", "delete")
    assert decision.allowed and decision.would_deny and decision.effect == "deny"
    assert again is decision
    records = [r for r in caplog.records if r.name == "legion.rbac"]
    assert len(records) == 2 and "would deny user:alice delete on tasks/1" in records[0].message
    fine = engine.check("user:alice", "tasks/1", "read")
    assert fine.allowed and not fine.would_deny
    engine.set_enforce(True)
    assert not engine.check("user:alice", "tasks/1", "delete").allowed


def test_bad_requests_raise_request_error_and_are_not_cached() -> None:
    engine = Engine()
    with pytest.raises(RequestError, match="unknown action 'fly'"):
        engine.check("user:a", "tasks/1", "fly")
    with pytest.raises(RequestError, match="'deny' is not an action"):
        engine.check("user:a", "tasks/1", "deny")
    with pytest.raises(RequestError, match="not of the form kind:id"):
        engine.check("alice", "tasks/1", "read")
    with pytest.raises(RequestError, match="is not a path"):
        engine.check("user:a", "/", "read")
    assert len(engine.cache) == 0


def test_assigning_an_unknown_role_is_refused() -> None:
    engine = Engine()
    with pytest.raises(PolicyError, match="unknown role 'wroker'; known roles: admin, observer"):
        engine.assign("user:a", "wroker")
    with pytest.raises(PolicyError, match="unknown role 'ghost'"):
        engine.load(load_from_settings({"assignments": {"user:a": ["ghost"]}}))
    assert engine.assignments() == {}


def test_empty_policy_set_keeps_the_builtins() -> None:
    engine = Engine(PolicySet())
    assert {r.name for r in engine.roles()} == {"observer", "worker", "supervisor", "admin"}
    assert engine.assignments() == {}
