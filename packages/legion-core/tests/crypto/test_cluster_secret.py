import base64
import stat
from collections.abc import Callable
from pathlib import Path

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
from legion.core.crypto.cluster_secret import keep_in_file, secret_file
from legion.core.errors import ConfigError
from legion.core.settings import Settings

SECRET = bytes(range(200, 232))
PREVIOUS = bytes(range(32))
Make = Callable[..., Settings]


def recorder(asked: list[SecretRequest]) -> Callable[[SecretRequest], None]:
    """A peer lookup that records each request and gets no answer."""

    def ask(request: SecretRequest) -> None:
        asked.append(request)

    return ask


@pytest.fixture
def node() -> NodeIdentity:
    return NodeIdentity.generate()


@pytest.mark.parametrize(
    "text",
    [
        base64.b64encode(SECRET).decode(),
        base64.urlsafe_b64encode(SECRET).decode().rstrip("="),
        SECRET.hex(),
        SECRET.hex().upper(),
        f"  {SECRET.hex()}\n",
    ],
)
def test_a_secret_reads_from_base64_or_hex(text: str) -> None:
    assert decode_secret(text, where="x") == SECRET
    assert decode_secret(encode_secret(SECRET), where="x") == SECRET


@pytest.mark.parametrize("text", ["", "short", "a" * 63, base64.b64encode(b"x" * 31).decode()])
def test_a_bad_secret_names_the_setting_and_the_fix_but_not_the_value(text: str) -> None:
    with pytest.raises(ConfigError) as info:
        decode_secret(text, where="crypt.cluster_secret")
    assert "crypt.cluster_secret" in info.value.message
    assert info.value.hint is not None and "urandom(32)" in info.value.hint
    if text:
        assert text not in info.value.message


def test_settings_come_first_with_the_previous_key(make_settings: Make, node: NodeIdentity) -> None:
    settings = make_settings(
        crypt__cluster_secret=encode_secret(SECRET), crypt__previous_cluster_secret=PREVIOUS.hex()
    )
    asked: list[SecretRequest] = []
    resolved = resolve_cluster_secret(settings, node, ask_peer=recorder(asked))
    assert resolved.source == "settings" and resolved.where == "crypt.cluster_secret"
    assert [k.secret for k in resolved.keyring.keys] == [SECRET, PREVIOUS]
    assert asked == []
    assert not secret_file(settings.home).exists()
    assert SECRET.hex() not in repr(resolved) and encode_secret(SECRET) not in repr(resolved)


def test_the_setting_may_be_an_env_reference(
    make_settings: Make, node: NodeIdentity, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLUSTER_SECRET", encode_secret(SECRET))
    settings = make_settings(crypt__cluster_secret="env://CLUSTER_SECRET")
    assert resolve_cluster_secret(settings, node).keyring.current.secret == SECRET
    assert settings.redacted()["crypt"]["cluster_secret"] == "***REDACTED***"


def test_a_bad_setting_is_a_config_error(make_settings: Make, node: NodeIdentity) -> None:
    with pytest.raises(ConfigError, match=r"crypt\.cluster_secret is not a 32-byte"):
        resolve_cluster_secret(make_settings(crypt__cluster_secret="nope"), node)


def test_the_first_node_generates_and_keeps_the_secret(
    make_settings: Make, node: NodeIdentity
) -> None:
    settings = make_settings()
    first = resolve_cluster_secret(settings, node, ask_peer=lambda r: None)
    path = secret_file(settings.home)
    assert first.source == "generated" and first.where == str(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert decode_secret(path.read_text(), where="file") == first.keyring.current.secret
    again = resolve_cluster_secret(settings, node)
    assert again.source == "file"
    assert again.keyring.current == first.keyring.current


def test_the_stored_file_is_used_before_asking_peers(
    make_settings: Make, node: NodeIdentity
) -> None:
    settings = make_settings()
    resolve_cluster_secret(settings, node)
    asked: list[SecretRequest] = []
    resolved = resolve_cluster_secret(settings, node, ask_peer=recorder(asked))
    assert resolved.source == "file" and asked == []


def test_a_secret_file_readable_by_others_is_refused(
    make_settings: Make, node: NodeIdentity
) -> None:
    settings = make_settings()
    resolve_cluster_secret(settings, node)
    secret_file(settings.home).chmod(0o640)
    with pytest.raises(ConfigError) as info:
        resolve_cluster_secret(settings, node)
    assert info.value.hint == f"chmod 600 {secret_file(settings.home)}"


def test_a_new_node_gets_the_secret_from_a_member(make_settings: Make, node: NodeIdentity) -> None:
    member = NodeIdentity.generate()
    cluster = Keyring(SECRET, [PREVIOUS])

    def ask_peer(request: SecretRequest) -> SecretResponse | None:
        wire = request.to_bytes()  # what the transport carries both ways
        answer = answer_secret_request(SecretRequest.from_bytes(wire), cluster, member)
        return SecretResponse.from_bytes(answer.to_bytes())

    settings = make_settings()
    resolved = resolve_cluster_secret(settings, node, ask_peer=ask_peer)
    assert resolved.source == "peer" and resolved.where == f"node {member.node_id}"
    assert resolved.keyring.keys == cluster.keys
    # kept (the current key) so the node needs no peer on its next start
    path = secret_file(settings.home)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    asked: list[SecretRequest] = []
    again = resolve_cluster_secret(settings, node, ask_peer=recorder(asked))
    assert again.source == "file" and again.keyring.current.secret == SECRET and asked == []


def test_a_received_secret_never_replaces_another_in_the_file(
    make_settings: Make, legion_home: Path
) -> None:
    path = secret_file(make_settings().home)
    assert keep_in_file(path, Keyring(SECRET), "node x").current.secret == SECRET
    assert keep_in_file(path, Keyring(SECRET, [PREVIOUS]), "node x").current.secret == SECRET
    with pytest.raises(ConfigError, match="holds another secret") as info:
        keep_in_file(path, Keyring(PREVIOUS), "node x")
    assert info.value.hint is not None and str(path) in info.value.hint
    assert decode_secret(path.read_text(), where="file") == SECRET


def test_an_answer_for_another_node_is_a_clear_error(
    make_settings: Make, node: NodeIdentity
) -> None:
    member, other = NodeIdentity.generate(), NodeIdentity.generate()

    def ask_peer(request: SecretRequest) -> SecretResponse:
        return answer_secret_request(request_for(other, request), Keyring(SECRET), member)

    def request_for(identity: NodeIdentity, like: SecretRequest) -> SecretRequest:
        from dataclasses import replace

        forged = replace(
            like,
            node_id=identity.node_id,
            verify_key=identity.verify_key,
            box_key=identity.public_key,
        )
        return replace(forged, signature=identity.sign(forged.signed_bytes()))

    settings = make_settings()
    with pytest.raises(ConfigError, match="cannot take the cluster secret") as info:
        resolve_cluster_secret(settings, node, ask_peer=ask_peer)
    assert info.value.hint is not None and "crypt.cluster_secret" in info.value.hint
    assert not secret_file(settings.home).exists()


def test_without_an_answer_the_node_generates(make_settings: Make, node: NodeIdentity) -> None:
    asked: list[SecretRequest] = []
    resolved = resolve_cluster_secret(make_settings(), node, ask_peer=recorder(asked))
    assert resolved.source == "generated"
    assert len(asked) == 1 and asked[0].node_id == node.node_id
    asked[0].check()


def test_the_crypt_settings_have_safe_defaults(make_settings: Make) -> None:
    crypt = make_settings().crypt
    assert crypt.cluster_secret is None and crypt.encrypt is True
    assert crypt.vault_path == "legion/cluster" and crypt.peer_timeout > 0


def test_home_is_the_settings_home(make_settings: Make, legion_home: Path) -> None:
    assert secret_file(make_settings().home) == legion_home / "keys" / "cluster_secret"
