"""How a response body becomes the `body` of the result."""

from __future__ import annotations

import json

import pytest

from legion.extensions.http.body import decode, is_json


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        ("application/json", True),
        ("Application/JSON; charset=utf-8", True),
        ("application/problem+json", True),
        ("text/plain", False),
        ("", False),
        ("application/jsonp", False),
    ],
)
def test_is_json(content_type: str, expected: bool) -> None:
    assert is_json(content_type) is expected


def test_json_is_parsed() -> None:
    assert decode(b'{"a": [1, 2.5]}', content_type="application/json", encoding="utf-8") == {
        "a": [1, 2.5]
    }


def test_nan_is_not_json_so_the_text_comes_back() -> None:
    body = decode(b"[NaN]", content_type="application/json", encoding="utf-8")
    assert body == "[NaN]"
    json.dumps(body, allow_nan=False)


def test_empty_json_body_is_empty_text() -> None:
    assert decode(b"", content_type="application/json", encoding="utf-8") == ""


def test_charset_is_honoured_and_bad_bytes_are_replaced() -> None:
    assert decode("café".encode("latin-1"), content_type="text/plain", encoding="latin-1") == "café"
    assert decode(b"caf\xe9", content_type="text/plain", encoding="utf-8") == "caf\ufffd"
