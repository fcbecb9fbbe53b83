"""One HTTP exchange with httpx, its failures turned into Legion errors that name the URL.

httpx is imported here, on first use, so loading the extension stays cheap.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from legion.core.errors import UsageError
from legion.extensions.http.body import decode, read_limited
from legion.extensions.http.defaults import USER_AGENT
from legion.extensions.http.errors import ConnectionFailed, HttpError, RequestTimedOut
from legion.extensions.http.urls import checked_url, shown


def send(
    method: str,
    url: str,
    *,
    headers: Mapping[str, str] | None,
    params: Mapping[str, Any] | None,
    timeout: float,
    max_bytes: int,
    follow_redirects: bool,
    json: Any = None,
    data: str | None = None,
) -> dict[str, Any]:
    """Send one request and return status, headers, final URL, body and elapsed milliseconds.

    `timeout` bounds each network wait and, checked as data arrives, the whole exchange.
    `json=None` sends no JSON body; `json` and `data` are exclusive (the runner checks).
    Any status code is a result, not an error: the caller decides what a 404 means.
    """
    import httpx

    target = checked_url(url)
    if params:
        target = target.copy_merge_params(dict(params))  # keeps the URL's own query, unlike httpx
    where = f"{method} {shown(target)}"
    started = time.monotonic()
    deadline = started + timeout
    try:
        with httpx.Client(
            timeout=timeout,
            follow_redirects=follow_redirects,
            trust_env=False,
            headers={"User-Agent": USER_AGENT},
        ) as client:
            request = client.build_request(
                method,
                target,
                headers=dict(headers or {}),
                json=json,
                content=data.encode("utf-8") if data is not None else None,
            )
            response = client.send(request, stream=True)
            try:
                if time.monotonic() > deadline:
                    raise RequestTimedOut(
                        f"{where}: no complete answer within timeout={timeout:g} s",
                        hint="raise timeout, or check that the server is healthy",
                    )
                content = read_limited(
                    response, where=where, max_bytes=max_bytes, deadline=deadline
                )
            finally:
                response.close()
    except httpx.TimeoutException as exc:
        raise RequestTimedOut(
            f"{where} timed out after {timeout:g} s {_phase(exc)}",
            hint="raise timeout, or check that the server is reachable and healthy",
        ) from exc
    except httpx.ConnectError as exc:
        raise ConnectionFailed(
            f"{where}: could not connect ({exc or type(exc).__name__})",
            hint="check the host name and port, and that the server is running",
        ) from exc
    except httpx.TooManyRedirects as exc:
        raise HttpError(f"{where}: too many redirects ({exc})") from exc
    except httpx.UnsupportedProtocol as exc:
        raise HttpError(f"{where}: redirected to a URL that is not http(s) ({exc})") from exc
    except (httpx.LocalProtocolError, httpx.InvalidURL, UnicodeEncodeError) as exc:
        raise UsageError(
            f"{where}: the request cannot be sent as given ({exc})",
            hint="header names and values must be printable ASCII without line breaks",
        ) from exc
    except httpx.HTTPError as exc:
        raise HttpError(f"{where} failed: {type(exc).__name__}: {exc}") from exc
    return {
        "status": response.status_code,
        "headers": dict(response.headers.items()),
        "url": str(response.url),
        "body": decode(
            content,
            content_type=response.headers.get("content-type", ""),
            encoding=response.encoding or "utf-8",
        ),
        "elapsed_ms": round((time.monotonic() - started) * 1000, 3),
    }


def _phase(exc: Exception) -> str:
    """Which wait ran out, in words; httpx says it by the exception's class."""
    import httpx

    if isinstance(exc, httpx.ConnectTimeout):
        return "while connecting"
    if isinstance(exc, httpx.WriteTimeout):
        return "while sending the request"
    if isinstance(exc, httpx.PoolTimeout):
        return "while waiting for a free connection"
    return "while waiting for the response"
