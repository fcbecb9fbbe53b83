import json
from pathlib import Path

import pytest

from legion.core.errors import ConfigError
from legion.core.settings import REDACTED, load_settings


@pytest.fixture
def dirs(tmp_path: Path) -> dict[str, Path]:
    home, cwd, system = tmp_path / "home", tmp_path / "cwd", tmp_path / "etc"
    for d in (home / "settings", cwd / "settings", system):
        d.mkdir(parents=True)
    return {"home": home, "cwd": cwd, "system": system}


def load(dirs: dict[str, Path], env: dict[str, str] | None = None, **kw):  # type: ignore[no-untyped-def]
    base = {
        "LEGION_HOME": str(dirs["home"]),
        "LEGION_SETTINGS_DIRS": ":".join(
            str(p) for p in (dirs["system"], dirs["home"] / "settings", dirs["cwd"] / "settings")
        ),
    }
    return load_settings(env={**base, **(env or {})}, cwd=dirs["cwd"], **kw)


def test_defaults_without_any_file(dirs: dict[str, Path]) -> None:
    s = load(dirs)
    assert s.mode == "lite"
    assert s.api.host == "127.0.0.1" and s.api.port == 4567
    assert s.home == dirs["home"]
    assert s.source_of("api.port") == "default"


def test_layers_later_wins_json_and_toml(dirs: dict[str, Path]) -> None:
    (dirs["system"] / "a.json").write_text(json.dumps({"api": {"port": 1000, "host": "127.0.0.2"}}))
    (dirs["home"] / "settings" / "b.toml").write_text("[api]\nport = 2000\n")
    (dirs["cwd"] / "settings" / "c.json").write_text(json.dumps({"log": {"level": "DEBUG"}}))
    s = load(dirs)
    assert s.api.port == 2000
    assert s.api.host == "127.0.0.2"
    assert s.log.level == "DEBUG"
    assert s.source_of("api.port").endswith("b.toml")
    assert [p.name for p in s.files] == ["a.json", "b.toml", "c.json"]


def test_env_beats_files_and_cli_beats_env(dirs: dict[str, Path]) -> None:
    (dirs["cwd"] / "settings" / "c.json").write_text(json.dumps({"api": {"port": 3000}}))
    s = load(dirs, {"LEGION_API__PORT": "3001", "LEGION_API__AUTH__LOOPBACK_OPEN": "false"})
    assert s.api.port == 3001
    assert s.api.auth.loopback_open is False
    assert s.source_of("api.port") == "env LEGION_API__PORT"
    s = load(dirs, {"LEGION_API__PORT": "3001"}, overrides={"api.port": 3002})
    assert s.api.port == 3002


def test_short_env_names_and_disabled_extensions(dirs: dict[str, Path]) -> None:
    s = load(dirs, {"LEGION_MODE": "full", "LEGION_DISABLED_EXTENSIONS": "http, ping"})
    assert s.mode == "full"
    assert s.extensions.disabled == ["http", "ping"]


def test_references_resolve_and_are_redacted(dirs: dict[str, Path], tmp_path: Path) -> None:
    secret_file = tmp_path / "token.txt"
    secret_file.write_text("file-secret\n")
    (dirs["cwd"] / "settings" / "refs.json").write_text(
        json.dumps(
            {
                "vault": {"token": "env://MY_TOKEN"},
                "lex": {
                    "http": {
                        "from_file": f"file://{secret_file}",
                        "chain": ["env://ABSENT", "fallback"],
                        "url": "amqp://guest:hunter22@localhost/",
                    },
                },
            }
        )
    )
    s = load(dirs, {"MY_TOKEN": "env-secret"})
    assert s.vault.token is not None and s.vault.token.get_secret_value() == "env-secret"
    assert s.lex["http"]["from_file"] == "file-secret"
    assert s.lex["http"]["chain"] == "fallback"
    shown = s.redacted()
    assert shown["vault"]["token"] == REDACTED
    assert shown["lex"]["http"]["from_file"] == REDACTED
    assert shown["lex"]["http"]["url"] == f"amqp://guest:{REDACTED}@localhost/"
    assert "env-secret" not in json.dumps(shown) and "hunter22" not in json.dumps(shown)


def test_unresolvable_reference_names_the_key(dirs: dict[str, Path]) -> None:
    (dirs["cwd"] / "settings" / "r.json").write_text(json.dumps({"vault": {"token": "env://NOPE"}}))
    with pytest.raises(ConfigError, match=r"vault\.token: env://NOPE cannot be resolved"):
        load(dirs)


def test_vault_reference_without_vault_names_the_missing_setting(dirs: dict[str, Path]) -> None:
    (dirs["cwd"] / "settings" / "r.json").write_text(
        json.dumps({"lex": {"http": {"token": "vault://kv#t"}}})
    )
    with pytest.raises(ConfigError, match=r"lex\.http\.token: vault://kv#t: .*vault\.address"):
        load(dirs)


def test_the_vault_token_cannot_come_from_vault(dirs: dict[str, Path]) -> None:
    (dirs["cwd"] / "settings" / "r.json").write_text(
        json.dumps({"vault": {"address": "http://127.0.0.1:1", "token": "vault://kv#t"}})
    )
    with pytest.raises(ConfigError, match=r"vault\.token: .*cannot themselves come from Vault"):
        load(dirs)


def test_invalid_json_names_file_and_line(dirs: dict[str, Path]) -> None:
    bad = dirs["home"] / "settings" / "bad.json"
    bad.write_text('{\n  "api": {\n    "port": ,\n  }\n}')
    with pytest.raises(ConfigError) as info:
        load(dirs)
    assert f"{bad}:3:" in info.value.message


def test_unknown_key_and_bad_type_name_key_and_source(dirs: dict[str, Path]) -> None:
    f = dirs["cwd"] / "settings" / "x.toml"
    f.write_text("[api]\nprot = 1\nport = 'abc'\n")
    with pytest.raises(ConfigError) as info:
        load(dirs)
    rows = {d["key"]: d for d in info.value.details}
    assert rows["api.prot"]["problem"] == "unknown key"
    assert rows["api.prot"]["source"] == str(f)
    assert rows["api.port"]["source"] == str(f)
    assert "integer" in rows["api.port"]["problem"]


def test_lex_settings_overlay_declared_defaults(dirs: dict[str, Path]) -> None:
    s = load(dirs, {"LEGION_LEX__HTTP__TIMEOUT": "5"})
    assert s.lex_settings("http", {"timeout": 30, "retries": 2}) == {"timeout": 5, "retries": 2}
    assert s.lex_settings("other", {"a": 1}) == {"a": 1}
