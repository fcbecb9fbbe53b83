"""What the per-request shortcuts must not change: kept RBAC decisions follow every policy
change, audit-mode refusals are still logged each time, and an API key's row is read on every
request (a revocation by another connection holds from the very next lookup)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from legion.app.security.api_keys import ApiKeyVerifier, create_key
from legion.app.security.principals import Principal
from legion.app.security.rbac import RbacGuard, build_engine
from legion.app.security.store_access import open_store
from legion.core.settings import load_settings
from legion.core.store.api_keys import ApiKeyStore


def test_kept_decisions_follow_policy_changes(legion_home: Path) -> None:
    guard = RbacGuard(build_engine(load_settings({})))
    bob = Principal("user:bob", ("observer",))
    guard.decide(bob, "tasks/1", "delete")  # asking as role:observer assigns it: a new generation
    refused = guard.decide(bob, "tasks/1", "delete")
    assert not refused.allowed
    assert guard.decide(bob, "tasks/1", "delete") is refused  # kept
    guard.engine.assign("user:bob", "admin")
    assert guard.decide(bob, "tasks/1", "delete").allowed  # the change bumped the generation
    guard.engine.unassign("user:bob", "admin")
    assert not guard.decide(bob, "tasks/1", "delete").allowed
    # Carried roles are part of the question: another credential of bob's is decided afresh.
    assert guard.decide(Principal("user:bob", ("admin",)), "tasks/1", "delete").allowed


def test_audit_mode_refusals_are_logged_every_time(
    legion_home: Path, caplog: pytest.LogCaptureFixture
) -> None:
    guard = RbacGuard(build_engine(load_settings({"rbac.enforce": False})))
    key = Principal("key:x", ("observer",))
    guard.decide(key, "tasks/1", "delete")
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="legion.rbac"):
        assert guard.decide(key, "tasks/1", "delete").would_deny
        once = sum("would deny" in r.getMessage() for r in caplog.records)
        for _ in range(2):
            decision = guard.decide(key, "tasks/1", "delete")
            assert decision.allowed and decision.would_deny
    assert once > 0
    assert sum("would deny" in r.getMessage() for r in caplog.records) == 3 * once


def test_a_revocation_holds_from_the_next_lookup(legion_home: Path) -> None:
    settings = load_settings({})
    serving, elsewhere = open_store(settings), open_store(settings)  # two engines, as two processes
    try:
        record, key = create_key(ApiKeyStore(elsewhere), "ci", "observer")
        verifier = ApiKeyVerifier(serving)
        assert verifier.inline  # SQLite: looked up on the event loop, no thread hop
        for _ in range(3):
            found = verifier.verify(key)
            assert found is not None and found.id == f"key:{record.id}"
        assert verifier.verify(key[:-1] + ("A" if key[-1] != "A" else "B")) is None
        assert verifier.verify("lgk_0000000000000000_" + "x" * 43) is None
        assert verifier.verify("not a key") is None
        ApiKeyStore(elsewhere).revoke(record.id)
        assert verifier.verify(key) is None
        assert ApiKeyStore(serving).get(record.id) == ApiKeyStore(elsewhere).get(record.id)
    finally:
        serving.dispose()
        elsewhere.dispose()
