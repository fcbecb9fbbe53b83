from collections.abc import Mapping

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from legion.core.crypto import ClusterKey, Keyring, Reason, RejectedMessage, envelope, seal
from legion.core.crypto.envelope import OVERHEAD

KEY = Keyring(bytes(range(32)))
OTHER = Keyring(bytes(range(100, 132)))
HEADERS = {"exchange": "legion.tasks", "routing_key": "lex.http.get", "message_id": "m-1"}

header_text = st.text(max_size=40)
headers_strategy = st.fixed_dictionaries(
    {"exchange": header_text, "routing_key": header_text, "message_id": header_text}
)


def rejected(data: bytes, headers: Mapping[str, object], secret: Keyring = KEY) -> Reason:
    with pytest.raises(RejectedMessage) as info:
        envelope.open(data, headers, secret)
    return info.value.reason


@settings(deadline=None, derandomize=True, max_examples=300)
@given(body=st.binary(max_size=4096), headers=headers_strategy)
def test_round_trip_for_any_body_and_routing(body: bytes, headers: dict[str, str]) -> None:
    sealed = seal(body, headers, KEY)
    assert len(sealed) >= OVERHEAD + len(body)
    assert envelope.open(sealed, headers, KEY) == body


@settings(deadline=None, derandomize=True, max_examples=500)
@given(body=st.binary(max_size=256), data=st.data())
def test_any_single_bit_flip_is_rejected(body: bytes, data: st.DataObject) -> None:
    sealed = bytearray(seal(body, HEADERS, KEY))
    bit = data.draw(st.integers(0, len(sealed) * 8 - 1), label="bit")
    sealed[bit // 8] ^= 1 << (bit % 8)
    reason = rejected(bytes(sealed), HEADERS)
    if bit < 8:
        assert reason is Reason.VERSION
    elif bit < 8 * 9:
        assert reason is Reason.UNKNOWN_KEY
    else:
        assert reason is Reason.FORGED


@settings(deadline=None, derandomize=True, max_examples=200)
@given(body=st.binary(max_size=128), data=st.data())
def test_any_truncation_is_rejected(body: bytes, data: st.DataObject) -> None:
    sealed = seal(body, HEADERS, KEY)
    cut = data.draw(st.integers(0, len(sealed) - 1), label="length")
    reason = rejected(sealed[:cut], HEADERS)
    assert reason is (Reason.TRUNCATED if cut < OVERHEAD else Reason.FORGED)


def test_a_message_sealed_with_a_foreign_key_is_rejected() -> None:
    assert rejected(seal(b"run me", HEADERS, OTHER), HEADERS) is Reason.UNKNOWN_KEY


def test_a_forged_key_id_does_not_help() -> None:
    """Someone without the secret copies our key id onto their own ciphertext."""
    theirs = seal(b"run me", HEADERS, OTHER)
    forged = theirs[:1] + KEY.current.key_id + theirs[9:]
    assert rejected(forged, HEADERS) is Reason.FORGED


@pytest.mark.parametrize("field", ["exchange", "routing_key", "message_id"])
def test_a_message_replayed_with_other_routing_is_rejected(field: str) -> None:
    sealed = seal(b"payload", HEADERS, KEY)
    with pytest.raises(RejectedMessage) as info:
        envelope.open(sealed, {**HEADERS, field: "elsewhere"}, KEY)
    assert info.value.reason is Reason.ROUTING
    assert field in info.value.message
    assert "elsewhere" not in info.value.message and "payload" not in info.value.message


def test_a_missing_bound_header_is_not_the_same_as_an_empty_one() -> None:
    sealed = seal(b"x", {"exchange": "e", "routing_key": "", "message_id": "m"}, KEY)
    assert rejected(sealed, {"exchange": "e", "message_id": "m"}) is Reason.ROUTING


def test_unbound_headers_may_change_in_transit() -> None:
    sealed = seal(b"x", {**HEADERS, "x-retries": 0}, KEY)
    assert envelope.open(sealed, {**HEADERS, "x-retries": 3, "redelivered": True}, KEY) == b"x"


def test_bytes_and_str_headers_bind_the_same() -> None:
    sealed = seal(b"x", HEADERS, KEY)
    as_bytes = {k: v.encode() for k, v in HEADERS.items()}
    assert envelope.open(sealed, as_bytes, KEY) == b"x"


def test_an_unknown_version_is_rejected() -> None:
    sealed = seal(b"x", HEADERS, KEY)
    assert rejected(b"\x02" + sealed[1:], HEADERS) is Reason.VERSION


def test_the_body_is_not_visible_and_nonces_differ() -> None:
    body = b"the quick brown fox jumps over the lazy dog" * 4
    one, two = seal(body, HEADERS, KEY), seal(body, HEADERS, KEY)
    assert one != two
    assert b"quick brown fox" not in one
    assert b"lex.http.get" not in one


def test_old_key_opens_during_rotation_and_not_after() -> None:
    old, new = ClusterKey(bytes(range(32))), ClusterKey(bytes(range(50, 82)))
    sealed_before = seal(b"before", HEADERS, old)
    rotated = Keyring(old).rotate(new)
    assert envelope.open(sealed_before, HEADERS, rotated) == b"before"
    sealed_after = seal(b"after", HEADERS, rotated)
    assert sealed_after[1:9] == new.key_id
    assert envelope.open(sealed_after, HEADERS, Keyring(new)) == b"after"
    assert rejected(sealed_after, HEADERS, Keyring(old)) is Reason.UNKNOWN_KEY
    assert rejected(sealed_before, HEADERS, rotated.retire_previous()) is Reason.UNKNOWN_KEY


def test_rejection_messages_never_carry_the_body_or_the_secret() -> None:
    body = b"secret-body-content"
    sealed = bytearray(seal(body, HEADERS, KEY))
    sealed[-1] ^= 1
    with pytest.raises(RejectedMessage) as info:
        envelope.open(bytes(sealed), HEADERS, KEY)
    text = str(info.value) + repr(info.value)
    assert "secret-body-content" not in text
    assert KEY.current.secret.hex() not in text
