from collections.abc import Callable
from typing import Any

import pytest

from legion.core.crypto import (
    Keyring,
    NodeIdentity,
    SecretRequest,
    SecretResponse,
    answer_secret_request,
    decode_secret,
    encode_secret,
    resolve_cluster_secret,
)
from legion.core.crypto.cluster_secret import generate_in_vault, secret_file
from legion.core.errors import ConfigError
from legion.core.settings import Settings
from legion.core.settings.vault import VaultClient, VaultConfig

SECRET = bytes(range(64, 96))
PREVIOUS = bytes(range(96, 128))
Write = Callable[[dict[str, Any]], Settings]


@pytest.fixture
def node() -> NodeIdentity:
    return NodeIdentity.generate()


@pytest.fixture
def vault_section(fake_vault: Any) -> dict[str, Any]:
    return {"address": fake_vault.address, "token": fake_vault.token}


def test_the_secret_is_read_from_vault_with_its_previous_key(
    fake_vault: Any, vault_section: dict[str, Any], write_settings: Write, node: NodeIdentity
) -> None:
    fake_vault.put(
        "legion/cluster",
        {"cluster_secret": encode_secret(SECRET), "previous_cluster_secret": PREVIOUS.hex()},
    )
    settings = write_settings({"vault": vault_section})
    resolved = resolve_cluster_secret(settings, node, ask_peer=lambda r: pytest.fail("asked"))
    assert resolved.source == "vault" and resolved.where == "Vault secret/legion/cluster"
    assert [k.secret for k in resolved.keyring.keys] == [SECRET, PREVIOUS]


def test_crypt_vault_path_chooses_where(
    fake_vault: Any, vault_section: dict[str, Any], write_settings: Write, node: NodeIdentity
) -> None:
    fake_vault.put("prod/legion", {"cluster_secret": SECRET.hex()})
    settings = write_settings({"vault": vault_section, "crypt": {"vault_path": "prod/legion"}})
    assert resolve_cluster_secret(settings, node).keyring.current.secret == SECRET
    assert fake_vault.seen[-1].path == "/v1/secret/data/prod/legion"


def test_a_vault_reference_in_the_setting_comes_first(
    fake_vault: Any, vault_section: dict[str, Any], write_settings: Write, node: NodeIdentity
) -> None:
    fake_vault.put("ops/legion", {"key": encode_secret(SECRET)})
    settings = write_settings(
        {"vault": vault_section, "crypt": {"cluster_secret": "vault://ops/legion#key"}}
    )
    resolved = resolve_cluster_secret(settings, node)
    assert resolved.source == "settings" and resolved.keyring.current.secret == SECRET
    assert settings.redacted()["crypt"]["cluster_secret"] == "***REDACTED***"


def test_the_first_node_stores_the_new_secret_in_vault_and_others_read_it(
    fake_vault: Any, vault_section: dict[str, Any], write_settings: Write, node: NodeIdentity
) -> None:
    settings = write_settings({"vault": vault_section})
    first = resolve_cluster_secret(settings, node, ask_peer=lambda r: None)
    assert first.source == "generated"
    stored = fake_vault.latest("legion/cluster")
    assert stored is not None
    assert decode_secret(stored["cluster_secret"], where="v") == first.keyring.current.secret
    assert not secret_file(settings.home).exists()
    second = resolve_cluster_secret(settings, NodeIdentity.generate())
    assert second.source == "vault" and second.keyring.current == first.keyring.current


def test_a_node_that_loses_the_creation_race_uses_the_winners_secret(fake_vault: Any) -> None:
    client = VaultClient(VaultConfig(address=fake_vault.address, token=fake_vault.token))
    fake_vault.put("legion/cluster", {"cluster_secret": encode_secret(SECRET)})
    keyring = generate_in_vault(client, "legion/cluster")
    assert keyring.current.secret == SECRET
    assert len(fake_vault.versions[("secret", "legion/cluster")]) == 1
    assert [s.method for s in fake_vault.seen] == ["POST", "GET"]


def test_a_token_that_cannot_write_gets_a_clear_error(
    fake_vault: Any, write_settings: Write, node: NodeIdentity
) -> None:
    section = {"address": fake_vault.address, "token": fake_vault.read_only_token}
    settings = write_settings({"vault": section})
    with pytest.raises(ConfigError) as info:
        resolve_cluster_secret(settings, node)
    assert "cannot store the new cluster secret" in info.value.message
    assert "403" in info.value.message and "secret/legion/cluster" in info.value.message
    assert info.value.hint is not None and "vault.token" in info.value.hint


def test_a_forbidden_read_stops_instead_of_generating(
    fake_vault: Any, write_settings: Write, node: NodeIdentity
) -> None:
    settings = write_settings({"vault": {"address": fake_vault.address, "token": "s.bad"}})
    with pytest.raises(ConfigError, match="cannot read the cluster secret") as info:
        resolve_cluster_secret(settings, node, ask_peer=lambda r: pytest.fail("asked"))
    assert "permission denied" in info.value.message
    assert [s.method for s in fake_vault.seen] == ["GET"]
    assert not secret_file(settings.home).exists()


def test_an_unreachable_vault_names_the_fix(
    closed_address: str, write_settings: Write, node: NodeIdentity
) -> None:
    settings = write_settings({"vault": {"address": closed_address, "token": "t", "timeout": 2}})
    with pytest.raises(ConfigError, match="unreachable") as info:
        resolve_cluster_secret(settings, node)
    assert info.value.hint is not None and "vault.address" in info.value.hint
    assert not secret_file(settings.home).exists()


def test_a_bad_value_in_vault_names_the_path_not_the_value(
    fake_vault: Any, vault_section: dict[str, Any], write_settings: Write, node: NodeIdentity
) -> None:
    fake_vault.put("legion/cluster", {"cluster_secret": "too-short-value"})
    settings = write_settings({"vault": vault_section})
    with pytest.raises(ConfigError) as info:
        resolve_cluster_secret(settings, node)
    assert "Vault secret/legion/cluster#cluster_secret" in info.value.message
    assert "too-short-value" not in info.value.message


def answering(cluster: Keyring) -> Callable[[SecretRequest], SecretResponse]:
    """A peer that holds `cluster` and answers every request."""
    member = NodeIdentity.generate()
    return lambda request: answer_secret_request(request, cluster, member)


def test_a_secret_from_a_peer_is_stored_in_an_empty_vault(
    fake_vault: Any, vault_section: dict[str, Any], write_settings: Write, node: NodeIdentity
) -> None:
    settings = write_settings({"vault": vault_section})
    resolved = resolve_cluster_secret(
        settings, node, ask_peer=answering(Keyring(SECRET, [PREVIOUS]))
    )
    assert resolved.source == "peer"
    stored = fake_vault.latest("legion/cluster")
    assert stored is not None
    assert decode_secret(stored["cluster_secret"], where="v") == SECRET
    assert decode_secret(stored["previous_cluster_secret"], where="v") == PREVIOUS
    assert not secret_file(settings.home).exists()
    again = resolve_cluster_secret(settings, node, ask_peer=lambda r: pytest.fail("asked"))
    assert again.source == "vault" and [k.secret for k in again.keyring.keys] == [SECRET, PREVIOUS]


def test_a_peer_secret_vault_refuses_to_store_is_still_used(
    fake_vault: Any, write_settings: Write, node: NodeIdentity
) -> None:
    section = {"address": fake_vault.address, "token": fake_vault.read_only_token}
    settings = write_settings({"vault": section})
    resolved = resolve_cluster_secret(settings, node, ask_peer=answering(Keyring(SECRET)))
    assert resolved.source == "peer" and resolved.keyring.current.secret == SECRET
    assert fake_vault.latest("legion/cluster") is None
