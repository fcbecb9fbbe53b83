"""The pieces without a server: role combination, route templates, token checks, hygiene."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from legion.app.security.jwt_tokens import TokenError, TokenVerifier, mint
from legion.app.security.principals import Principal, local_principal
from legion.app.security.rbac import RbacGuard, build_engine
from legion.app.security.resources import RouteSpecError, resource_and_action
from legion.core.settings import load_settings

KEY = b"k" * 32


def verifier(skew: int = 5) -> TokenVerifier:
    return TokenVerifier((KEY,), issuer="legion", skew=skew, max_ttl=3600)


def test_carried_roles_do_not_leak_between_credentials_of_one_subject(legion_home: Path) -> None:
    guard = RbacGuard(build_engine(load_settings({})))
    admin = Principal("user:alice", ("admin",))
    observer = Principal("user:alice", ("observer",))
    assert guard.decide(admin, "tasks/1", "delete").allowed
    refused = guard.decide(observer, "tasks/1", "delete")
    assert not refused.allowed and "observer" in refused.reason
    assert not guard.decide(Principal("key:x", ()), "tasks/1", "read").allowed
    assert guard.decide(local_principal(), "rbac/roles", "update").allowed  # admin by default


def test_a_policy_deny_beats_a_carried_allow(legion_home: Path) -> None:
    policy = legion_home / "fence.yaml"
    policy.write_text(
        "roles:\n  - name: fence\n    rules:\n      - path: tasks/secret\n"
        "        capabilities: [deny]\nassignments:\n  user:alice: [fence]\n"
    )
    guard = RbacGuard(build_engine(load_settings({"rbac.policies": [str(policy)]})))
    decision = guard.decide(Principal("user:alice", ("admin",)), "tasks/secret", "read")
    assert not decision.allowed and decision.rule is not None and decision.rule.role == "fence"
    assert decision.roles == ("admin", "fence")


def test_audit_mode_lets_refusals_through_marked(legion_home: Path) -> None:
    guard = RbacGuard(build_engine(load_settings({"rbac.enforce": False})))
    decision = guard.decide(Principal("key:x", ("observer",)), "tasks/1", "delete")
    assert decision.allowed and decision.would_deny


def test_route_templates() -> None:
    opt = {"rbac": ("tasks/{task_id}/logs", "read")}
    assert resource_and_action(opt, {"task_id": "42"}, "GET", "/x") == ("tasks/42/logs", "read")
    assert resource_and_action({}, {}, "DELETE", "/api/v1/x") == ("api/v1/x", "delete")
    with pytest.raises(RouteSpecError):
        resource_and_action(opt, {}, "GET", "/x")
    with pytest.raises(RouteSpecError):
        resource_and_action({"rbac": "tasks"}, {}, "GET", "/x")


def test_token_lifetime_and_skew() -> None:
    now = time.time()
    token, _ = mint(KEY, subject="a", roles=["admin"], ttl=60, issuer="legion", now=now)
    assert verifier().verify(token, now=now).principal().id == "user:a"
    slightly_early, _ = mint(KEY, subject="a", roles=[], ttl=60, issuer="legion", now=now + 3)
    assert verifier().verify(slightly_early, now=now).sub == "a"  # within the skew
    too_long, _ = mint(KEY, subject="a", roles=[], ttl=7200, issuer="legion", now=now)
    with pytest.raises(TokenError, match="lifetime"):
        verifier().verify(too_long, now=now)
    other_issuer, _ = mint(KEY, subject="a", roles=[], ttl=60, issuer="elsewhere", now=now)
    with pytest.raises(TokenError, match="issuer"):
        verifier().verify(other_issuer, now=now)


def test_new_settings_hold_no_secret_and_credentials_stay_out_of_config_output(
    legion_home: Path,
) -> None:
    settings = load_settings({})
    shown = settings.redacted()
    assert shown["api"]["rate_limit"]["per_ip"] == 600
    assert shown["api"]["auth"]["loopback_open"] is True
    assert shown["rbac"] == {"enforce": True, "policies": []}
