from dataclasses import replace

import pytest

from legion.core.crypto import (
    Keyring,
    NodeIdentity,
    SecretExchangeError,
    SecretRequest,
    SecretResponse,
    accept_secret_response,
    answer_secret_request,
    request_secret,
)

CLUSTER = Keyring(bytes(range(32)), [bytes(range(32, 64))])


@pytest.fixture
def newcomer() -> NodeIdentity:
    return NodeIdentity.generate()


@pytest.fixture
def member() -> NodeIdentity:
    return NodeIdentity.generate()


def test_a_new_node_receives_the_whole_keyring_over_the_wire(
    newcomer: NodeIdentity, member: NodeIdentity
) -> None:
    request = request_secret(newcomer)
    on_member = SecretRequest.from_bytes(request.to_bytes())
    response = answer_secret_request(on_member, CLUSTER, member)
    received = accept_secret_response(
        SecretResponse.from_bytes(response.to_bytes()), request, newcomer
    )
    assert received.keys == CLUSTER.keys
    assert response.node_id == member.node_id


def test_the_wire_messages_do_not_carry_the_secret(
    newcomer: NodeIdentity, member: NodeIdentity
) -> None:
    request = request_secret(newcomer)
    wire = answer_secret_request(request, CLUSTER, member).to_bytes()
    response = answer_secret_request(request, CLUSTER, member)
    for key in CLUSTER.keys:
        assert key.secret not in wire and key.secret.hex().encode() not in wire
        assert key.secret.hex() not in repr(response)


def test_only_the_requester_can_open_the_answer(
    newcomer: NodeIdentity, member: NodeIdentity
) -> None:
    request = request_secret(newcomer)
    response = answer_secret_request(request, CLUSTER, member)
    eavesdropper = NodeIdentity.generate()
    with pytest.raises(SecretExchangeError, match="not sealed to this node"):
        accept_secret_response(response, request, eavesdropper)


def test_a_request_with_a_swapped_box_key_is_refused(
    newcomer: NodeIdentity, member: NodeIdentity
) -> None:
    """An attacker keeps a node's signed request but asks for the answer under their own key."""
    attacker = NodeIdentity.generate()
    forged = replace(request_secret(newcomer), box_key=attacker.public_key)
    with pytest.raises(SecretExchangeError, match="bad signature"):
        answer_secret_request(forged, CLUSTER, member)


def test_a_request_claiming_another_node_id_is_refused(member: NodeIdentity) -> None:
    attacker = NodeIdentity.generate()
    victim = NodeIdentity.generate()
    forged = replace(request_secret(attacker), node_id=victim.node_id)
    with pytest.raises(SecretExchangeError, match="is not its key's"):
        answer_secret_request(forged, CLUSTER, member)


def test_authorize_can_refuse_a_node(newcomer: NodeIdentity, member: NodeIdentity) -> None:
    request = request_secret(newcomer)
    with pytest.raises(SecretExchangeError, match="not allowed"):
        answer_secret_request(request, CLUSTER, member, authorize=lambda r: False)
    seen: list[str] = []

    def allow(asking: SecretRequest) -> bool:
        seen.append(asking.node_id)
        return True

    answer_secret_request(request, CLUSTER, member, authorize=allow)
    assert seen == [newcomer.node_id]


def test_an_answer_to_another_request_is_refused(
    newcomer: NodeIdentity, member: NodeIdentity
) -> None:
    old = request_secret(newcomer)
    old_answer = answer_secret_request(old, CLUSTER, member)
    new = request_secret(newcomer)
    with pytest.raises(SecretExchangeError, match="another request"):
        accept_secret_response(old_answer, new, newcomer)


def test_a_replayed_sealed_answer_relabelled_for_a_new_request_is_refused(
    newcomer: NodeIdentity, member: NodeIdentity
) -> None:
    """The request id inside the sealed payload pins an answer to its request."""
    old_answer = answer_secret_request(request_secret(newcomer), CLUSTER, member)
    new = request_secret(newcomer)
    attacker = NodeIdentity.generate()
    relabelled = replace(
        old_answer,
        node_id=attacker.node_id,
        verify_key=attacker.verify_key,
        request_id=new.request_id,
    )
    relabelled = replace(relabelled, signature=attacker.sign(relabelled.signed_bytes()))
    with pytest.raises(SecretExchangeError, match="malformed"):
        accept_secret_response(relabelled, new, newcomer)


def test_a_tampered_answer_is_refused(newcomer: NodeIdentity, member: NodeIdentity) -> None:
    request = request_secret(newcomer)
    response = answer_secret_request(request, CLUSTER, member)
    sealed = bytearray(response.sealed)
    sealed[-1] ^= 1
    with pytest.raises(SecretExchangeError, match="bad signature"):
        accept_secret_response(replace(response, sealed=bytes(sealed)), request, newcomer)


def test_trusted_limits_who_may_provide_the_secret(
    newcomer: NodeIdentity, member: NodeIdentity
) -> None:
    request = request_secret(newcomer)
    response = answer_secret_request(request, CLUSTER, member)
    with pytest.raises(SecretExchangeError, match="untrusted node"):
        accept_secret_response(response, request, newcomer, trusted={"someone-else"})
    ring = accept_secret_response(response, request, newcomer, trusted={member.node_id})
    assert ring.current == CLUSTER.current


@pytest.mark.parametrize(
    "data",
    [b"", b"[]", b"{}", b'{"type":"legion.cluster-secret.request","node_id":"x"}', b"\xff"],
)
def test_malformed_wire_messages_are_refused(data: bytes) -> None:
    with pytest.raises(SecretExchangeError, match="well-formed"):
        SecretRequest.from_bytes(data)
    with pytest.raises(SecretExchangeError, match="well-formed"):
        SecretResponse.from_bytes(data)
