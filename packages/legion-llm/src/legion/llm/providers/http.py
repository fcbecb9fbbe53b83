"""The shared aiohttp client session (one per event loop) and the mapping of transport failures
to gateway errors. aiohttp, not httpx: measured here, the upstream client dominates a Python
gateway's overhead (docs/llm-benchmarks.md)."""

from __future__ import annotations

import asyncio
import functools
import urllib.parse
import urllib.request
from typing import Any

import aiohttp

from legion.llm.errors import ErrorKind, GatewayError, from_upstream_status

_sessions: dict[asyncio.AbstractEventLoop, aiohttp.ClientSession] = {}


def session() -> aiohttp.ClientSession:
    """The session of the running loop, created on first use (keep-alive pool, no per-host cap)."""
    loop = asyncio.get_running_loop()
    current = _sessions.get(loop)
    if current is None or current.closed:
        connector = aiohttp.TCPConnector(limit=0, ttl_dns_cache=300, enable_cleanup_closed=True)
        # trust_env would read ~/.netrc and the proxy variables on every request (in a thread);
        # post() resolves the proxy once per host instead.
        current = aiohttp.ClientSession(
            connector=connector,
            auto_decompress=True,
            trust_env=False,
            skip_auto_headers=("User-Agent",),
        )
        _sessions[loop] = current
    return current


def post(url: str, **kwargs: Any) -> Any:
    """`session().post` through the proxy the environment names for this host, if any."""
    return session().post(url, proxy=proxy_for(url), **kwargs)


@functools.lru_cache(maxsize=256)
def _proxy_for_host(scheme: str, host: str) -> str | None:
    if urllib.request.proxy_bypass(host):
        return None
    return urllib.request.getproxies().get(scheme)


def proxy_for(url: str) -> str | None:
    """HTTP(S)_PROXY / NO_PROXY as curl and requests read them, looked up once per host."""
    parts = urllib.parse.urlsplit(url)
    return _proxy_for_host(parts.scheme, parts.hostname or "")


async def close_sessions() -> None:
    loop = asyncio.get_running_loop()
    current = _sessions.pop(loop, None)
    if current is not None:
        await current.close()


def timeout(total: float | None, first_byte: float | None = None) -> aiohttp.ClientTimeout:
    return aiohttp.ClientTimeout(total=total, sock_connect=10, sock_read=first_byte)


def transport_error(exc: BaseException, provider: str) -> GatewayError:
    """A connection-level failure as a retryable upstream error that names the provider."""
    if isinstance(exc, asyncio.TimeoutError | TimeoutError):
        return GatewayError(ErrorKind.TIMEOUT, f"{provider}: upstream timed out", upstream=True)
    return GatewayError(
        ErrorKind.UPSTREAM, f"{provider}: upstream connection failed: {exc}", upstream=True
    )


async def status_error(response: aiohttp.ClientResponse, provider: str) -> GatewayError:
    """An upstream HTTP error status, with the upstream's own message when it sent JSON."""
    text = await response.text(errors="replace")
    message = text[:500]
    try:
        body: Any = await response.json(content_type=None)
    except ValueError:
        body = None
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            message = error["message"]
        elif isinstance(error, str):
            message = error
        elif isinstance(body.get("message"), str):
            message = body["message"]
    retry_after: float | None = None
    header = response.headers.get("retry-after")
    if header:
        try:
            retry_after = float(header)
        except ValueError:
            retry_after = None
    return from_upstream_status(response.status, f"{provider}: {message}", retry_after=retry_after)
