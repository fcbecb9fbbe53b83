"""Whether the API needs credentials: always off loopback; on loopback unless `loopback_open`."""

from __future__ import annotations

import ipaddress

from legion.core.settings import Settings


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def auth_required(settings: Settings) -> bool:
    return not (is_loopback(settings.api.host) and settings.api.auth.loopback_open)
