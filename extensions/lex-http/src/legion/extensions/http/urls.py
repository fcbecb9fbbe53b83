"""Which URLs a request may target, and how a URL is named in messages."""

from __future__ import annotations

from typing import TYPE_CHECKING

from legion.core.errors import UsageError

if TYPE_CHECKING:
    import httpx

SCHEMES = frozenset({"http", "https"})


def checked_url(url: str) -> httpx.URL:
    """Parse `url` the way httpx will send it; only http(s) with a host, so no `file:` or `ftp:`."""
    import httpx

    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise UsageError(f"invalid URL {url!r}: {exc}") from exc
    if parsed.scheme not in SCHEMES:
        scheme = f"scheme {parsed.scheme!r}" if parsed.scheme else "no scheme"
        raise UsageError(
            f"URL {url!r} has {scheme}; only http and https are allowed",
            hint="write the URL in full, e.g. https://example.com/path",
        )
    if not parsed.host:
        raise UsageError(f"URL {url!r} has no host", hint="e.g. https://example.com/path")
    return parsed


def shown(url: httpx.URL) -> str:
    """The URL for error messages, with any password in it left out."""
    return str(url.copy_with(password=None)) if url.password else str(url)
