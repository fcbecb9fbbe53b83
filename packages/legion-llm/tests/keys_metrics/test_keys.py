"""Who may call, which models each key may use, and when a key's budget stops it."""

from __future__ import annotations

import json
import threading

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from legion.llm.errors import ErrorKind, GatewayError
from legion.llm.key_commands import key
from legion.llm.keys import KeyStore, Principal, VirtualKeySpec, hash_key
from legion.llm.ledger.record import LedgerRecord
from legion.llm.ledger.summary import spend_by_key
from legion.llm.ledger.writer import LedgerWriter

MASTER_KEY = "sk-master-0123456789"
ALICE_KEY = "sk-legion-alice-key"
BOB_KEY = "sk-legion-bob-key"


@pytest.fixture
def store() -> KeyStore:
    return KeyStore(
        MASTER_KEY,
        [
            VirtualKeySpec("alice", hash_key(ALICE_KEY), frozenset({"fast", "smart"}), 1.0),
            VirtualKeySpec("bob", hash_key(BOB_KEY).upper()),
        ],
    )


def test_no_keys_configured_means_anonymous() -> None:
    store = KeyStore(None, [])
    principal = store.authenticate(None, None)
    assert principal == Principal("anonymous")
    assert store.authenticate("Bearer whatever", None).name == "anonymous"


def test_master_key_by_bearer_or_x_api_key(store: KeyStore) -> None:
    assert store.authenticate(f"Bearer {MASTER_KEY}", None).is_master
    assert store.authenticate(None, MASTER_KEY).is_master
    assert store.authenticate(f"bearer   {MASTER_KEY} ", None).name == "master"


def test_virtual_key_carries_its_limits(store: KeyStore) -> None:
    alice = store.authenticate(None, ALICE_KEY)
    assert alice == Principal("alice", False, frozenset({"fast", "smart"}), 1.0)
    # Digests are compared case-insensitively: bob's was configured in upper case.
    bob = store.authenticate(f"Bearer {BOB_KEY}", None)
    assert (bob.name, bob.models, bob.max_budget) == ("bob", None, None)


def test_either_header_may_hold_the_valid_key(store: KeyStore) -> None:
    assert store.authenticate("Bearer wrong", ALICE_KEY).name == "alice"


def test_missing_key(store: KeyStore) -> None:
    with pytest.raises(GatewayError) as caught:
        store.authenticate(None, "  ")
    assert caught.value.kind is ErrorKind.AUTHENTICATION
    assert caught.value.status == 401
    assert caught.value.message == (
        "missing API key: send Authorization: Bearer <key> or x-api-key"
    )


def test_wrong_key(store: KeyStore) -> None:
    with pytest.raises(GatewayError) as caught:
        store.authenticate("Bearer sk-not-a-key", None)
    assert caught.value.kind is ErrorKind.AUTHENTICATION
    assert caught.value.message == "invalid API key"


def test_no_secret_in_reprs(store: KeyStore) -> None:
    text = repr(store) + repr(store.authenticate(None, ALICE_KEY))
    for secret in (MASTER_KEY, ALICE_KEY, hash_key(MASTER_KEY), hash_key(ALICE_KEY)):
        assert secret not in text
    assert repr(store) == "KeyStore(master=set, keys=2)"


@given(st.text(min_size=1).filter(lambda s: s.strip() == s and s != ""))
def test_any_key_matches_only_itself(plain: str) -> None:
    store = KeyStore(None, [VirtualKeySpec("k", hash_key(plain))])
    assert store.authenticate(None, plain).name == "k"
    with pytest.raises(GatewayError, match="invalid API key"):
        store.authenticate(None, plain + "x")


def test_allowed_models(store: KeyStore) -> None:
    alice = store.authenticate(None, ALICE_KEY)
    store.authorize_model(alice, "fast")
    with pytest.raises(GatewayError) as caught:
        store.authorize_model(alice, "frontier")
    assert caught.value.kind is ErrorKind.PERMISSION
    assert caught.value.param == "model"
    assert caught.value.message == (
        "key 'alice' may not use model 'frontier'; allowed: fast, smart"
    )
    store.authorize_model(store.authenticate(None, MASTER_KEY), "frontier")
    store.authorize_model(store.authenticate(None, BOB_KEY), "frontier")


def test_budget_stops_the_key_once_spent(store: KeyStore) -> None:
    alice = store.authenticate(None, ALICE_KEY)
    store.charge(alice, 0.75)
    store.check_budget(alice)
    store.charge(alice, 0.25)
    with pytest.raises(GatewayError) as caught:
        store.check_budget(alice)
    assert caught.value.kind is ErrorKind.RATE_LIMIT
    assert caught.value.status == 429
    assert "budget of $1.00 exhausted for key 'alice'" in caught.value.message
    assert caught.value.details["code"] == "insufficient_quota"
    # Keys without a budget are never stopped, whatever they spend.
    bob = store.authenticate(None, BOB_KEY)
    store.charge(bob, 1e6)
    store.check_budget(bob)
    assert store.spent(bob) == 1e6


def test_charges_from_many_threads_all_count(store: KeyStore) -> None:
    bob = store.authenticate(None, BOB_KEY)

    def spend() -> None:
        for _ in range(1000):
            store.charge(bob, 0.5)

    threads = [threading.Thread(target=spend) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.spent(bob) == 4000.0


def test_spend_resumes_from_the_ledger(store: KeyStore, tmp_path: object) -> None:
    url = f"sqlite:///{tmp_path}/ledger.db"
    writer = LedgerWriter(url)
    writer.start()
    writer.submit(LedgerRecord(request_id="r1", caller="alice", model_name="fast", cost_usd=0.6))
    writer.submit(LedgerRecord(request_id="r2", caller="alice", model_name="fast", cost_usd=0.5))
    writer.stop(timeout=10.0)
    store.load_spend(spend_by_key(url))
    alice = store.authenticate(None, ALICE_KEY)
    assert store.spent(alice) == pytest.approx(1.1)
    with pytest.raises(GatewayError, match="exhausted"):
        store.check_budget(alice)


@pytest.mark.parametrize(
    ("specs", "message"),
    [
        ([VirtualKeySpec("a", "ab" * 32), VirtualKeySpec("a", "cd" * 32)], "used twice"),
        ([VirtualKeySpec("master", "ab" * 32)], "reserved"),
        ([VirtualKeySpec("a", "ab" * 32), VirtualKeySpec("b", "AB" * 32)], "same key"),
        ([VirtualKeySpec("a", "xyz")], "64 hex digits"),
        ([VirtualKeySpec("a", "zz" * 32)], "64 hex digits"),
    ],
)
def test_bad_key_config_is_refused(specs: list[VirtualKeySpec], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        KeyStore(None, specs)


# --- `key hash` and `key generate` ---------------------------------------------------------------


def test_key_hash_reads_stdin() -> None:
    result = CliRunner().invoke(key, ["hash"], input=f"{ALICE_KEY}\n")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == hash_key(ALICE_KEY)
    as_json = CliRunner().invoke(key, ["hash", "--json"], input=ALICE_KEY)
    assert as_json.output.strip() == f'{{"key_sha256": "{hash_key(ALICE_KEY)}"}}'


def test_key_hash_refuses_an_empty_key() -> None:
    result = CliRunner().invoke(key, ["hash"], input="\n")
    assert result.exit_code == 2
    assert "no key given" in result.output
    assert result.output.count("\n") == 1


def test_key_hash_never_takes_the_key_as_an_argument() -> None:
    result = CliRunner().invoke(key, ["hash", ALICE_KEY])
    assert result.exit_code == 2
    assert hash_key(ALICE_KEY) not in result.output


def test_key_generate_gives_a_key_and_its_hash() -> None:
    first = json.loads(CliRunner().invoke(key, ["generate", "--json"]).output)
    second = json.loads(CliRunner().invoke(key, ["generate", "--json"]).output)
    assert first["key"].startswith("sk-legion-")
    assert len(first["key"]) > len("sk-legion-") + 40
    assert first["key_sha256"] == hash_key(first["key"])
    assert first["key"] != second["key"]
    text = CliRunner().invoke(key, ["generate"])
    assert text.exit_code == 0
    assert "key_sha256:" in text.output
