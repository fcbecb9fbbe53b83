"""The size limit is enforced while streaming, and the timeout bounds waits and the whole answer."""

from __future__ import annotations

import pytest

from legion.extensions.http.errors import RequestTimedOut, ResponseTooLarge
from legion.extensions.http.runners.request import QueryValue, get

LIMIT = 200_000


@pytest.mark.parametrize("announce", [True, False], ids=["content-length", "close-delimited"])
def test_body_at_the_limit_passes(server: str, announce: bool) -> None:
    params: dict[str, QueryValue] = {"n": LIMIT, **({"announce": 1} if announce else {})}
    result = get(f"{server}/bytes", params=params, max_bytes=LIMIT)
    assert result["status"] == 200
    assert len(result["body"]) == LIMIT


@pytest.mark.parametrize("announce", [True, False], ids=["content-length", "close-delimited"])
def test_body_one_byte_over_the_limit_fails_naming_url_and_limit(
    server: str, announce: bool
) -> None:
    params: dict[str, QueryValue] = {"n": LIMIT + 1, **({"announce": 1} if announce else {})}
    with pytest.raises(ResponseTooLarge) as caught:
        get(f"{server}/bytes", params=params, max_bytes=LIMIT)
    assert f"{server}/bytes" in caught.value.message
    assert f"max_bytes={LIMIT}" in caught.value.message


def test_endless_body_is_cut_off_at_the_limit_not_buffered(server: str) -> None:
    with pytest.raises(ResponseTooLarge, match="stopped reading after"):
        get(f"{server}/endless", max_bytes=100_000, timeout=30)


def test_slow_answer_times_out_naming_the_url(server: str) -> None:
    with pytest.raises(RequestTimedOut) as caught:
        get(f"{server}/slow", params={"s": 2}, timeout=0.5)
    assert f"GET {server}/slow?s=2" in caught.value.message
    assert "timed out after 0.5 s" in caught.value.message
    assert caught.value.exit_code == 1


def test_trickling_answer_is_cut_off_by_the_overall_deadline(server: str) -> None:
    with pytest.raises(RequestTimedOut, match="still arriving"):
        get(f"{server}/drip", timeout=0.5)
