import json
from collections.abc import Callable
from typing import Any

import pytest

from legion.core.errors import ConfigError
from legion.core.settings import REDACTED, Settings
from legion.core.settings.vault import VaultClient, VaultConfig

Write = Callable[[dict[str, Any]], Settings]


@pytest.fixture
def vault_section(fake_vault: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setenv("VAULT_TEST_TOKEN", fake_vault.token)
    return {"address": fake_vault.address, "token": "env://VAULT_TEST_TOKEN"}


def test_vault_references_resolve_once_per_path_and_are_redacted(
    fake_vault: Any, vault_section: dict[str, Any], write_settings: Write
) -> None:
    fake_vault.put("legion/db", {"user": "app", "password": "pa55-from-vault"})
    settings = write_settings(
        {
            "vault": vault_section,
            "data": {"url": "vault://legion/db#user"},
            "lex": {"app": {"password": "vault://legion/db#password", "plain": "kept"}},
        }
    )
    assert settings.data.url == "app"
    assert settings.lex["app"]["password"] == "pa55-from-vault"
    assert settings.lex["app"]["plain"] == "kept"
    assert [s.method for s in fake_vault.seen] == ["GET"]
    assert fake_vault.seen[0].path == "/v1/secret/data/legion/db"
    assert fake_vault.seen[0].token == fake_vault.token
    shown = settings.redacted()
    assert shown["lex"]["app"]["password"] == REDACTED
    assert shown["data"]["url"] == REDACTED
    assert shown["vault"]["token"] == REDACTED
    dumped = json.dumps(shown)
    assert "pa55-from-vault" not in dumped and fake_vault.token not in dumped


def test_mount_and_namespace_are_used(
    fake_vault: Any, vault_section: dict[str, Any], write_settings: Write
) -> None:
    fake_vault.mounts = {"kv"}
    fake_vault.namespace = "team-a"
    fake_vault.put("svc", {"k": "v"}, mount="kv")
    settings = write_settings(
        {
            "vault": {**vault_section, "mount": "kv", "namespace": "team-a"},
            "lex": {"app": {"k": "vault://svc#k"}},
        }
    )
    assert settings.lex["app"]["k"] == "v"
    assert fake_vault.seen[-1].path == "/v1/kv/data/svc"
    assert fake_vault.seen[-1].namespace == "team-a"


def test_a_missing_path_names_setting_path_and_answer(
    fake_vault: Any, vault_section: dict[str, Any], write_settings: Write
) -> None:
    with pytest.raises(ConfigError) as info:
        write_settings({"vault": vault_section, "lex": {"app": {"pw": "vault://legion/nope#pw"}}})
    message = info.value.message
    assert message.startswith("lex.app.pw: vault://legion/nope#pw cannot be resolved")
    assert "secret/legion/nope" in message and "404" in message
    assert fake_vault.address in message


def test_a_missing_key_lists_the_keys_that_exist(
    fake_vault: Any, vault_section: dict[str, Any], write_settings: Write
) -> None:
    fake_vault.put("legion/db", {"user": "app", "password": "hidden-value"})
    with pytest.raises(ConfigError) as info:
        write_settings({"vault": vault_section, "lex": {"app": {"pw": "vault://legion/db#pass"}}})
    message = info.value.message
    assert message.startswith("lex.app.pw: vault://legion/db#pass cannot be resolved")
    assert "secret/legion/db has no key 'pass'" in message and "password, user" in message
    assert "hidden-value" not in message


def test_a_bad_token_is_forbidden_with_the_fix_and_never_shown(
    fake_vault: Any, write_settings: Write, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_vault.put("legion/db", {"password": "x"})
    monkeypatch.setenv("VAULT_TEST_TOKEN", "s.wrong-token-value")
    section = {"address": fake_vault.address, "token": "env://VAULT_TEST_TOKEN"}
    with pytest.raises(ConfigError) as info:
        write_settings({"vault": section, "lex": {"app": {"pw": "vault://legion/db#password"}}})
    message = info.value.message
    assert message.startswith("lex.app.pw: vault://legion/db#password:")
    assert "403" in message and "permission denied" in message and "secret/legion/db" in message
    assert info.value.hint is not None and "vault.token" in info.value.hint
    assert "s.wrong-token-value" not in message + info.value.hint
    assert fake_vault.seen[-1].token == "s.wrong-token-value"


def test_an_unreachable_vault_names_the_address(closed_address: str, write_settings: Write) -> None:
    section = {"address": closed_address, "token": "t", "timeout": 2}
    with pytest.raises(ConfigError) as info:
        write_settings({"vault": section, "lex": {"app": {"pw": "vault://legion/db#password"}}})
    assert info.value.message.startswith("lex.app.pw: vault://legion/db#password:")
    assert f"Vault at {closed_address} is unreachable" in info.value.message
    assert info.value.hint is not None and "vault.address" in info.value.hint


def test_an_unknown_mount_reports_vaults_answer(
    fake_vault: Any, vault_section: dict[str, Any], write_settings: Write
) -> None:
    with pytest.raises(ConfigError, match="no handler for route"):
        write_settings(
            {"vault": {**vault_section, "mount": "kv"}, "lex": {"a": {"b": "vault://x#y"}}}
        )


def test_a_fallback_chain_moves_past_a_missing_secret_only(
    fake_vault: Any, vault_section: dict[str, Any], write_settings: Write
) -> None:
    settings = write_settings(
        {"vault": vault_section, "lex": {"app": {"pw": ["vault://legion/absent#pw", "default"]}}}
    )
    assert settings.lex["app"]["pw"] == "default"
    fake_vault.tokens.pop(fake_vault.token)
    with pytest.raises(ConfigError, match="403"):
        write_settings(
            {"vault": vault_section, "lex": {"app": {"pw": ["vault://legion/x#pw", "default"]}}}
        )


def test_without_a_vault_address_the_error_says_so(write_settings: Write) -> None:
    with pytest.raises(ConfigError) as info:
        write_settings({"lex": {"app": {"pw": "vault://legion/db#password"}}})
    assert info.value.message == (
        "lex.app.pw: vault://legion/db#password: this needs Vault but vault.address is not set"
    )
    assert info.value.hint is not None and "vault.address" in info.value.hint


def test_the_vault_settings_cannot_come_from_vault(fake_vault: Any, write_settings: Write) -> None:
    section = {"address": fake_vault.address, "token": "vault://legion/t#token"}
    with pytest.raises(ConfigError, match="vault settings cannot themselves come from Vault"):
        write_settings({"vault": section, "lex": {"app": {"pw": "vault://legion/db#pw"}}})
    assert fake_vault.seen == []


@pytest.mark.parametrize("ref", ["vault://legion/db", "vault://legion/db#", "vault://#key"])
def test_a_reference_needs_a_path_and_a_key(
    ref: str, vault_section: dict[str, Any], write_settings: Write
) -> None:
    with pytest.raises(ConfigError, match="needs a path and a key") as info:
        write_settings({"vault": vault_section, "lex": {"app": {"pw": ref}}})
    assert info.value.hint is not None and "vault://<path>#<key>" in info.value.hint


def test_vault_is_not_contacted_without_vault_references(
    fake_vault: Any, vault_section: dict[str, Any], write_settings: Write
) -> None:
    settings = write_settings({"vault": vault_section})
    assert settings.vault.address == fake_vault.address and settings.vault.mount == "secret"
    assert fake_vault.seen == []


def test_the_client_writes_with_check_and_set(fake_vault: Any) -> None:
    client = VaultClient(VaultConfig(address=fake_vault.address, token=fake_vault.token))
    assert client.write("a/b", {"k": "1"}, cas=0) == 1
    assert client.read("a/b") == {"k": "1"}
    with pytest.raises(Exception, match="written by someone else first") as info:
        client.write("a/b", {"k": "2"}, cas=0)
    assert getattr(info.value, "kind", None) == "conflict"
    assert client.write("a/b", {"k": "3"}) == 2
    assert fake_vault.latest("a/b") == {"k": "3"}
    assert [s.method for s in fake_vault.seen] == ["POST", "GET", "POST", "POST"]


def test_the_config_repr_hides_the_token(fake_vault: Any) -> None:
    config = VaultConfig(address=fake_vault.address, token=fake_vault.token)
    text = repr(config) + repr(VaultClient(config))
    assert fake_vault.token not in text and "token=set" in text
