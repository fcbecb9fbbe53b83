"""`legion node id`: this node's id (to list in `crypt.trusted_nodes`) and public keys."""

import base64
import json
import stat
from pathlib import Path

import pytest

from legion.app.cli.main import legion_group, legionio_group, run
from legion.core.crypto.identity import identity_path, load_or_create_identity, node_id_for


def cli(capsys: pytest.CaptureFixture[str], *args: str, group=legion_group) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    code = run(group, "legion", list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_node_id_json_creates_the_identity_once(
    capsys: pytest.CaptureFixture[str], legion_home: Path
) -> None:
    assert not identity_path(legion_home).exists()
    code, out, _ = cli(capsys, "node", "id", "--json")
    assert code == 0
    shown = json.loads(out)
    path = identity_path(legion_home)
    assert shown["key_file"] == str(path) and stat.S_IMODE(path.stat().st_mode) == 0o600
    identity = load_or_create_identity(legion_home)
    assert shown["node_id"] == identity.node_id
    assert node_id_for(base64.b64decode(shown["verify_key"])) == shown["node_id"]
    assert base64.b64decode(shown["public_key"]) == identity.public_key
    assert shown["share_secret"] == "trusted" and shown["trusted_nodes"] == []
    for private in (bytes(identity.signing_key), bytes(identity.box_key)):
        assert base64.b64encode(private).decode() not in out  # private keys stay in the file
    code, again, _ = cli(capsys, "--json", "node", "id", group=legionio_group)
    assert code == 0 and json.loads(again)["node_id"] == shown["node_id"]


def test_node_id_for_people(capsys: pytest.CaptureFixture[str], legion_home: Path) -> None:
    code, out, _ = cli(capsys, "--no-color", "node", "id")
    assert code == 0
    assert out.splitlines()[0] == load_or_create_identity(legion_home).node_id
    assert "crypt.trusted_nodes" in out


def test_node_id_shows_the_trust_settings(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    other = "a" * 26
    monkeypatch.setenv("LEGION_CRYPT__TRUSTED_NODES", json.dumps([other]))
    monkeypatch.setenv("LEGION_CRYPT__SHARE_SECRET", "never")
    code, out, _ = cli(capsys, "node", "id", "--json")
    assert code == 0
    assert json.loads(out)["trusted_nodes"] == [other]
    assert json.loads(out)["share_secret"] == "never"


def test_a_bad_trusted_node_id_exits_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEGION_CRYPT__TRUSTED_NODES", '["NOT-A-NODE-ID"]')
    code, out, _ = cli(capsys, "node", "id", "--json")
    assert code == 2
    error = json.loads(out)["error"]
    assert error["code"] == "invalid_config" and "crypt.trusted_nodes" in error["message"]


def test_a_broken_key_file_exits_2_with_a_hint(
    capsys: pytest.CaptureFixture[str], legion_home: Path
) -> None:
    path = identity_path(legion_home)
    path.parent.mkdir(mode=0o700)
    path.write_text("not a key")
    path.chmod(0o600)
    code, out, _ = cli(capsys, "node", "id", "--json")
    assert code == 2
    error = json.loads(out)["error"]
    assert str(path) in error["message"] and "move" in error["hint"]


def test_an_unknown_option_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "node", "id", "--bogus")
    assert code == 2 and "--bogus" in err
