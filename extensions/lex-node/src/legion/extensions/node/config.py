"""Settings of lex-node (`lex.node.*`) and who this node is."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Mapping
from typing import Any

from legion.core.errors import ConfigError

INTERVAL = 10.0
"""Seconds between heartbeats: the period the heartbeat actor is declared with."""

ALIVE_AFTER = 3
"""A node is alive while its last heartbeat is at most this many intervals old."""

DEFAULTS: dict[str, Any] = {"name": None, "interval": INTERVAL}

STARTED_AT = time.time()
"""When this process loaded the extension, which the node does as it starts."""


def node_name(settings: Mapping[str, Any]) -> str:
    """`lex.node.name`, else `<hostname>:<pid>`, unique per process on a host."""
    name = settings.get("name")
    if name is None:
        return f"{socket.gethostname()}:{os.getpid()}"
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        raise ConfigError("lex.node.name must be a non-empty string of at most 200 characters")
    return name


def interval(settings: Mapping[str, Any]) -> float:
    value = settings.get("interval", INTERVAL)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ConfigError("lex.node.interval must be a number of seconds > 0")
    return float(value)
