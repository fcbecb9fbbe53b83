"""Sliding windows over a running server: request N+1 is refused with Retry-After, and the
window slides, letting requests back in as the oldest ones age out (polled, no timing asserts)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

LIMIT = 3
WINDOW = 6.0


def until_allowed(url: str, headers: dict[str, str], deadline: float) -> httpx.Response:
    while True:
        response = httpx.get(url, headers=headers)
        if response.status_code != 429 or time.monotonic() > deadline:
            return response
        time.sleep(0.05)


def test_per_principal_limit_refuses_n_plus_one_and_slides(
    api: Callable[..., Any], new_key: Callable[[str], dict[str, Any]]
) -> None:
    key, other = new_key("observer"), new_key("observer")
    headers = {"X-API-Key": key["key"]}
    limits = {"per_ip": 1000, "per_principal": LIMIT, "window_seconds": WINDOW}
    with api(api={"auth": {"loopback_open": False}, "rate_limit": limits}) as url:
        target = f"{url}/api/v1/extensions/http"
        seen = [httpx.get(target, headers=headers)]
        time.sleep(WINDOW / 2)  # the first hit ages out half a window before the others
        seen += [httpx.get(target, headers=headers) for _ in range(LIMIT - 1)]
        assert [r.status_code for r in seen] == [200] * LIMIT
        assert [int(r.headers["x-ratelimit-remaining"]) for r in seen] == [2, 1, 0]
        assert all(r.headers["x-ratelimit-limit"] == str(LIMIT) for r in seen)
        refused = httpx.get(target, headers=headers)
        assert refused.status_code == 429
        assert refused.json()["error"]["code"] == "rate_limited"
        assert int(refused.headers["retry-after"]) >= 1
        assert refused.headers["x-ratelimit-remaining"] == "0"
        # Another principal has its own window.
        assert httpx.get(target, headers={"X-API-Key": other["key"]}).status_code == 200
        # The window slides: the first hit ages out alone, so exactly one request gets back in
        # while the two later hits still count (no fixed bucket resets all three at once).
        back = until_allowed(target, headers, time.monotonic() + 30)
        assert back.status_code == 200
        assert back.headers["x-ratelimit-remaining"] == "0"


def test_per_ip_limit_applies_before_authentication(api: Callable[..., Any]) -> None:
    limits = {"per_ip": 2, "per_principal": 1000, "window_seconds": 30}
    with api(api={"auth": {"loopback_open": False}, "rate_limit": limits}) as url:
        codes = [httpx.get(f"{url}/api/v1/extensions/http").status_code for _ in range(3)]
        assert codes == [401, 401, 429]
        assert httpx.get(f"{url}/api/health").status_code == 429  # public routes count too
