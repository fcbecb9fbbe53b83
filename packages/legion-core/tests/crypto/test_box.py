import base64

import pytest

from legion.core.crypto import ClusterKey, Keyring

SECRET_A = bytes(range(32))
SECRET_B = bytes(range(1, 33))


def test_a_cluster_key_is_exactly_32_bytes() -> None:
    for size in (0, 16, 31, 33, 64):
        with pytest.raises(ValueError, match="exactly 32 bytes"):
            ClusterKey(b"x" * size)


def test_key_id_is_stable_distinct_and_not_the_secret() -> None:
    a, a2, b = ClusterKey(SECRET_A), ClusterKey(SECRET_A), ClusterKey(SECRET_B)
    assert a.key_id == a2.key_id and len(a.key_id) == 8
    assert a.key_id != b.key_id
    assert a.key_id not in SECRET_A
    assert a == a2 and a != b


def test_reprs_show_key_ids_only() -> None:
    ring = Keyring(SECRET_A, [SECRET_B])
    text = repr(ring) + repr(ring.current) + repr(ring.previous)
    for secret in (SECRET_A, SECRET_B):
        assert secret.hex() not in text
        assert base64.b64encode(secret).decode() not in text
    assert ClusterKey(SECRET_A).key_id.hex() in text


def test_keyring_finds_current_and_previous_and_drops_duplicates() -> None:
    ring = Keyring(SECRET_A, [SECRET_B, SECRET_A, SECRET_B])
    assert ring.current == ClusterKey(SECRET_A)
    assert ring.previous == (ClusterKey(SECRET_B),)
    assert ring.find(ClusterKey(SECRET_B).key_id) == ClusterKey(SECRET_B)
    assert ring.find(b"\0" * 8) is None


def test_rotation_keeps_one_previous_key_until_retired() -> None:
    ring = Keyring(SECRET_A).rotate(SECRET_B)
    assert ring.current == ClusterKey(SECRET_B)
    assert ring.keys == (ClusterKey(SECRET_B), ClusterKey(SECRET_A))
    retired = ring.retire_previous()
    assert retired.keys == (ClusterKey(SECRET_B),)
    assert retired.find(ClusterKey(SECRET_A).key_id) is None
