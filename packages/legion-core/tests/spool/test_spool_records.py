"""The line format: what is written reads back identically, and any damage is caught."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from legion.core.spool.record import BadLine, SpoolMessage, check_message, decode_line, encode_line

headers_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.text()
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)


@given(
    seq=st.integers(min_value=1, max_value=2**63),
    at=st.floats(min_value=0, max_value=4e9),
    exchange=st.text(),
    routing_key=st.text(),
    body=st.binary(max_size=256),
    headers=st.dictionaries(st.text(), headers_values, max_size=4),
)
def test_a_line_reads_back_as_the_record_written(
    seq: int, at: float, exchange: str, routing_key: str, body: bytes, headers: dict[str, object]
) -> None:
    message = SpoolMessage(exchange, routing_key, body, headers)
    line = encode_line(seq, at, message, check_message(message))
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    record = decode_line(line[:-1])
    assert (record.seq, record.at, record.exchange, record.routing_key) == (
        seq,
        at,
        exchange,
        routing_key,
    )
    assert record.body == body
    assert record.headers == json.loads(json.dumps(headers))


def test_the_line_has_the_documented_fields() -> None:
    message = SpoolMessage("legion.tasks", "task.run", b"\x00\xffsecret", {"x-id": "7"})
    data = json.loads(encode_line(3, 12.5, message, check_message(message)))
    assert list(data) == ["seq", "at", "exchange", "routing_key", "headers", "body", "crc"]
    assert data["body"] == "AP9zZWNyZXQ="
    assert (data["seq"], data["at"], data["headers"]) == (3, 12.5, {"x-id": "7"})


def test_a_changed_field_fails_the_crc() -> None:
    message = SpoolMessage("ex", "rk", b"payload", {"a": 1})
    line = encode_line(1, 1.0, message, check_message(message))[:-1]
    for before, after in ((b'"rk"', b'"rK"'), (b'"seq":1', b'"seq":2'), (b'"a":1', b'"a":2')):
        with pytest.raises(BadLine, match="CRC"):
            decode_line(line.replace(before, after))


@pytest.mark.parametrize(
    "raw",
    [b"", b'{"seq":1,"at":1.0,"exch', b"[1,2]", b'{"seq":1}', b"\xff\xfe", b"\x00" * 40],
)
def test_torn_or_foreign_lines_are_bad_lines(raw: bytes) -> None:
    with pytest.raises(BadLine):
        decode_line(raw)


def test_a_body_that_is_not_base64_is_a_bad_line_even_with_a_matching_crc() -> None:
    message = SpoolMessage("ex", "rk", b"")
    line = encode_line(1, 1.0, message, "!!not-base64!!")[:-1]
    with pytest.raises(BadLine, match="base64"):
        decode_line(line)


@pytest.mark.parametrize(
    "message",
    [
        SpoolMessage("ex", "rk", "text, not bytes"),  # type: ignore[arg-type]
        SpoolMessage("ex", "rk", b"x", {"when": object()}),
        SpoolMessage("ex", "rk", b"x", {1: "not a str key"}),  # type: ignore[dict-item]
        SpoolMessage("ex", "rk", b"x", {"nan": float("nan")}),
    ],
)
def test_messages_json_cannot_hold_are_refused_before_writing(message: SpoolMessage) -> None:
    with pytest.raises(TypeError):
        check_message(message)
