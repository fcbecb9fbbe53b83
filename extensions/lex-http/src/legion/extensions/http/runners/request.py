"""The request runner: one capability per HTTP method.

The URL comes from the caller, so these functions reach whatever host the caller names.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, JsonValue

from legion.core.errors import UsageError
from legion.core.sdk import capability
from legion.extensions.http.client import send
from legion.extensions.http.defaults import CAPABILITY_TIMEOUT, MAX_BYTES, MAX_TIMEOUT, TIMEOUT

__all__ = ["delete", "get", "post", "put"]

Seconds = Annotated[float, Field(gt=0, le=MAX_TIMEOUT)]
ByteCount = Annotated[int, Field(gt=0)]
QueryValue = str | int | float | bool | list[str | int | float | bool]


@capability(idempotent=True, timeout=CAPABILITY_TIMEOUT)
def get(
    url: str,
    headers: dict[str, str] | None = None,
    params: dict[str, QueryValue] | None = None,
    timeout: Seconds = TIMEOUT,
    max_bytes: ByteCount = MAX_BYTES,
    follow_redirects: bool = True,
) -> dict[str, Any]:
    """GET an http(s) URL; returns status, headers, final url, body (parsed if JSON), elapsed_ms."""
    return send(
        "GET",
        url,
        headers=headers,
        params=params,
        timeout=timeout,
        max_bytes=max_bytes,
        follow_redirects=follow_redirects,
    )


@capability(timeout=CAPABILITY_TIMEOUT)
def post(
    url: str,
    json: JsonValue = None,
    data: str | None = None,
    headers: dict[str, str] | None = None,
    params: dict[str, QueryValue] | None = None,
    timeout: Seconds = TIMEOUT,
    max_bytes: ByteCount = MAX_BYTES,
    follow_redirects: bool = True,
) -> dict[str, Any]:
    """POST a JSON value (`json`) or text (`data`) to an http(s) URL; returns what `get` returns."""
    _one_body(json, data)
    return send(
        "POST",
        url,
        json=json,
        data=data,
        headers=headers,
        params=params,
        timeout=timeout,
        max_bytes=max_bytes,
        follow_redirects=follow_redirects,
    )


@capability(idempotent=True, timeout=CAPABILITY_TIMEOUT)
def put(
    url: str,
    json: JsonValue = None,
    data: str | None = None,
    headers: dict[str, str] | None = None,
    params: dict[str, QueryValue] | None = None,
    timeout: Seconds = TIMEOUT,
    max_bytes: ByteCount = MAX_BYTES,
    follow_redirects: bool = True,
) -> dict[str, Any]:
    """PUT a JSON value (`json`) or text (`data`) to an http(s) URL; returns what `get` returns."""
    _one_body(json, data)
    return send(
        "PUT",
        url,
        json=json,
        data=data,
        headers=headers,
        params=params,
        timeout=timeout,
        max_bytes=max_bytes,
        follow_redirects=follow_redirects,
    )


@capability(idempotent=True, timeout=CAPABILITY_TIMEOUT)
def delete(
    url: str,
    headers: dict[str, str] | None = None,
    params: dict[str, QueryValue] | None = None,
    timeout: Seconds = TIMEOUT,
    max_bytes: ByteCount = MAX_BYTES,
    follow_redirects: bool = True,
) -> dict[str, Any]:
    """DELETE an http(s) URL; returns what `get` returns."""
    return send(
        "DELETE",
        url,
        headers=headers,
        params=params,
        timeout=timeout,
        max_bytes=max_bytes,
        follow_redirects=follow_redirects,
    )


def _one_body(json: Any, data: str | None) -> None:
    """A request has one body: refuse `json` and `data` together rather than pick one."""
    if json is not None and data is not None:
        raise UsageError("give either json or data as the request body, not both")
