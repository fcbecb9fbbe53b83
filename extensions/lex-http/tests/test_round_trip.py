"""Each verb reaches a real server with its method, body, headers and query intact."""

from __future__ import annotations

import json

import pytest

from legion.core.errors import UsageError
from legion.extensions.http.defaults import USER_AGENT
from legion.extensions.http.runners.request import delete, get, post, put


def test_params_override_same_named_keys_of_the_urls_query(server: str) -> None:
    echo = get(f"{server}/echo?a=0&keep=yes", params={"a": [1, 2], "flag": True})["body"]
    assert echo["query"] == {"a": ["1", "2"], "keep": ["yes"], "flag": ["true"]}


def test_get_sends_query_and_headers_and_decodes_json(server: str) -> None:
    result = get(
        f"{server}/echo?fixed=1",
        headers={"X-Trace": "abc"},
        params={"q": "legion http", "n": 3, "tag": ["a", "b"]},
    )
    assert result["status"] == 200
    echo = result["body"]
    assert echo["method"] == "GET"
    assert echo["query"] == {"fixed": ["1"], "q": ["legion http"], "n": ["3"], "tag": ["a", "b"]}
    assert echo["headers"]["x-trace"] == "abc"
    assert echo["headers"]["user-agent"] == USER_AGENT
    assert result["headers"]["content-type"] == "application/json"
    assert result["url"].startswith(f"{server}/echo?")
    assert isinstance(result["elapsed_ms"], float)
    assert result["elapsed_ms"] >= 0


def test_post_sends_a_json_body(server: str) -> None:
    result = post(f"{server}/echo", json={"name": "legion", "tags": [1, None, True]})
    echo = result["body"]
    assert echo["method"] == "POST"
    assert echo["headers"]["content-type"] == "application/json"
    assert json.loads(echo["body"]) == {"name": "legion", "tags": [1, None, True]}


def test_put_sends_a_text_body_with_the_callers_content_type(server: str) -> None:
    result = put(f"{server}/echo", data="plain é text", headers={"Content-Type": "text/plain"})
    echo = result["body"]
    assert echo["method"] == "PUT"
    assert echo["body"] == "plain é text"
    assert echo["headers"]["content-type"] == "text/plain"


def test_post_accepts_a_bare_json_scalar(server: str) -> None:
    assert post(f"{server}/echo", json=42)["body"]["body"] == "42"


def test_delete_sends_method_and_query(server: str) -> None:
    echo = delete(f"{server}/echo", params={"id": "7"})["body"]
    assert echo["method"] == "DELETE"
    assert echo["query"] == {"id": ["7"]}
    assert echo["body"] == ""


def test_callers_user_agent_replaces_the_default(server: str) -> None:
    echo = get(f"{server}/echo", headers={"user-agent": "me/1.0"})["body"]
    assert echo["headers"]["user-agent"] == "me/1.0"


def test_text_response_comes_back_as_text(server: str) -> None:
    result = get(f"{server}/text")
    assert result["body"] == "hello, world"


def test_json_content_type_that_does_not_parse_comes_back_as_text(server: str) -> None:
    assert get(f"{server}/not-json")["body"] == "{oops"


def test_error_status_is_a_result_not_an_exception(server: str) -> None:
    result = get(f"{server}/status", params={"code": 404})
    assert result["status"] == 404
    assert result["body"] == {"error": "as asked"}


def test_redirect_is_followed_by_default(server: str) -> None:
    result = get(f"{server}/redirect")
    assert result["status"] == 200
    assert result["url"] == f"{server}/text"
    assert result["body"] == "hello, world"


def test_redirect_is_returned_when_not_followed(server: str) -> None:
    result = get(f"{server}/redirect", follow_redirects=False)
    assert result["status"] == 302
    assert result["headers"]["location"] == "/text"
    assert result["url"] == f"{server}/redirect"


@pytest.mark.parametrize("verb", [post, put])
def test_json_and_data_together_are_refused(server: str, verb: object) -> None:
    with pytest.raises(UsageError, match="either json or data"):
        verb(f"{server}/echo", json={"a": 1}, data="b")  # type: ignore[operator]
