"""Vault: `GET /v1/sys/health` at `vault.address` through hvac (no token needed for it).

Vault encodes its state in the status code: 200 active, 429 standby, 472/473 secondaries, 474
a standby that lost its active node, 501 not initialised, 503 sealed.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from legion.app.health.report import Finding, Status
from legion.app.health.runner import elapsed_ms

if TYPE_CHECKING:
    from legion.core.settings import Settings

STATES: dict[int, tuple[Status, str, str | None]] = {
    200: ("pass", "active and unsealed", None),
    429: ("pass", "an unsealed standby", None),
    472: ("pass", "a disaster-recovery secondary", None),
    473: ("pass", "a performance standby", None),
    474: ("warn", "a standby that cannot reach its active node", "check the Vault cluster"),
    501: ("fail", "not initialised", "initialise Vault (`vault operator init`)"),
    503: ("fail", "sealed", "unseal Vault (`vault operator unseal`)"),
}


def check(settings: Settings, timeout: float) -> Finding:
    address = settings.vault.address
    if not address:
        return Finding("vault", "skip", "vault.address is unset: no Vault")
    return health(address, timeout, namespace=settings.vault.namespace)


def health(address: str, timeout: float, *, namespace: str | None = None) -> Finding:
    import hvac  # type: ignore[import-untyped]  # hvac ships no type information
    import requests

    from legion.core.settings.redact import redact_url

    shown = redact_url(address)
    client = hvac.Client(url=address, timeout=timeout, namespace=namespace)
    started = time.monotonic()
    try:
        answer: Any = client.sys.read_health_status(method="GET")
    except requests.RequestException as exc:
        return Finding(
            "vault",
            "fail",
            f"Vault at {shown} is unreachable ({type(exc).__name__})",
            fix="check vault.address and that Vault runs and is reachable",
            details={"address": shown},
        )
    finally:
        client.adapter.close()
    latency = elapsed_ms(started)
    code, body = (
        (200, answer) if isinstance(answer, dict) else (answer.status_code, body_of(answer))
    )
    status, state, fix = STATES.get(
        code, ("fail", f"answering HTTP {code}", "check vault.address points at Vault's API")
    )
    version = body.get("version") if isinstance(body, dict) else None
    suffix = f" (Vault {version})" if version else ""
    return Finding(
        "vault",
        status,
        f"Vault at {shown} is {state}{suffix}",
        latency_ms=latency,
        fix=fix,
        details={"address": shown, "http_status": code, "version": version},
    )


def body_of(response: Any) -> Any:
    try:
        return response.json()
    except ValueError:
        return None
