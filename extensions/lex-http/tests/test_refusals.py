"""Bad URLs are the caller's error (UsageError); unreachable servers are runtime errors."""

from __future__ import annotations

import pytest

from legion.core.errors import LegionError, UsageError
from legion.extensions.http.errors import ConnectionFailed, HttpError
from legion.extensions.http.runners.request import delete, get, post


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "ftp://127.0.0.1/file", "gopher://127.0.0.1/", "127.0.0.1/no-scheme"],
)
def test_only_http_and_https_are_allowed(url: str) -> None:
    with pytest.raises(UsageError, match="only http and https are allowed") as caught:
        get(url)
    assert repr(url) in caught.value.message
    assert caught.value.exit_code == 2


@pytest.mark.parametrize("url", ["http://", "https:///path", "http://[::1"])
def test_urls_without_a_usable_host_are_refused(url: str) -> None:
    with pytest.raises(UsageError, match=r"URL|url"):
        post(url, json={})


def test_connection_refused_names_the_url(refused_url: str) -> None:
    with pytest.raises(ConnectionFailed) as caught:
        delete(refused_url, timeout=5)
    assert f"DELETE {refused_url}" in caught.value.message
    assert "could not connect" in caught.value.message
    assert isinstance(caught.value, LegionError)
    assert not isinstance(caught.value, UsageError)


def test_redirect_to_a_file_url_is_not_followed(server: str) -> None:
    with pytest.raises(HttpError, match="not http"):
        get(f"{server}/redirect-file")


def test_password_in_the_url_is_left_out_of_messages(refused_url: str) -> None:
    url = refused_url.replace("http://", "http://user:s3cret@")
    with pytest.raises(ConnectionFailed) as caught:
        get(url, timeout=5)
    assert "s3cret" not in caught.value.message


def test_header_with_a_line_break_is_the_callers_error(server: str) -> None:
    with pytest.raises(UsageError, match="cannot be sent"):
        get(f"{server}/echo", headers={"X-Bad": "a\r\nInjected: yes"})
