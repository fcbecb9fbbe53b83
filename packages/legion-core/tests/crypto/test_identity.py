import base64
import json
import stat
import threading
from pathlib import Path

import pytest

from legion.core.crypto import NodeIdentity, load_or_create_identity, node_id_for
from legion.core.crypto.identity import identity_path, verify_signature
from legion.core.errors import ConfigError


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_first_start_creates_private_keys_and_later_starts_load_them(legion_home: Path) -> None:
    first = load_or_create_identity(legion_home)
    path = identity_path(legion_home)
    assert path == legion_home / "keys" / "node.key"
    assert mode(path) == 0o600
    assert mode(path.parent) == 0o700
    again = load_or_create_identity(legion_home)
    assert again.node_id == first.node_id
    assert again.verify_key == first.verify_key and again.public_key == first.public_key
    assert NodeIdentity.generate().node_id != first.node_id


def test_node_id_is_derived_from_the_signing_public_key() -> None:
    identity = NodeIdentity.generate()
    assert identity.node_id == node_id_for(identity.verify_key)
    assert len(identity.node_id) == 26 and identity.node_id.isalnum()
    assert identity.node_id.islower()


def test_signatures_verify_only_for_the_signed_message_and_key() -> None:
    identity, other = NodeIdentity.generate(), NodeIdentity.generate()
    signature = identity.sign(b"hello")
    assert verify_signature(identity.verify_key, b"hello", signature)
    assert not verify_signature(identity.verify_key, b"hellO", signature)
    assert not verify_signature(other.verify_key, b"hello", signature)


def test_the_two_keypairs_are_independent() -> None:
    identity = NodeIdentity.generate()
    assert identity.verify_key != identity.public_key


def test_repr_and_file_hold_no_key_material_in_the_repr(legion_home: Path) -> None:
    identity = load_or_create_identity(legion_home)
    doc = json.loads(identity_path(legion_home).read_text())
    for field in ("sign", "box"):
        seed = base64.b64decode(doc[field])
        assert seed.hex() not in repr(identity)
        assert doc[field] not in repr(identity)
    assert identity.node_id in repr(identity)


def test_a_key_file_readable_by_others_is_refused_with_the_fix(legion_home: Path) -> None:
    load_or_create_identity(legion_home)
    path = identity_path(legion_home)
    path.chmod(0o644)
    with pytest.raises(ConfigError) as info:
        load_or_create_identity(legion_home)
    assert info.value.hint == f"chmod 600 {path}"


def test_a_loose_keys_directory_is_tightened(legion_home: Path) -> None:
    keys = legion_home / "keys"
    keys.mkdir(mode=0o755)
    keys.chmod(0o755)
    load_or_create_identity(legion_home)
    assert mode(keys) == 0o700


def test_a_corrupt_key_file_names_the_file(legion_home: Path) -> None:
    path = identity_path(legion_home)
    path.parent.mkdir(mode=0o700)
    path.write_text("not json")
    path.chmod(0o600)
    with pytest.raises(ConfigError, match="not a Legion node key file") as info:
        load_or_create_identity(legion_home)
    assert str(path) in info.value.message


def test_processes_starting_together_end_with_one_identity(legion_home: Path) -> None:
    ids: list[str] = []
    barrier = threading.Barrier(8)

    def start() -> None:
        barrier.wait()
        ids.append(load_or_create_identity(legion_home).node_id)

    threads = [threading.Thread(target=start) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(ids) == 8 and len(set(ids)) == 1
    assert sorted(p.name for p in (legion_home / "keys").iterdir()) == ["node.key"]
