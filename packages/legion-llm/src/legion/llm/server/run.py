"""Starting the server: uvicorn with uvloop and httptools, one or several worker processes."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from legion.llm.server.asgi import CONFIG_ENV

LOOPBACK = ("127.0.0.1", "::1", "localhost")


class ExposedWithoutKeys(Exception):
    """Serving beyond loopback with no key configured."""


def fast_loop() -> str:
    return "uvloop" if sys.platform != "win32" else "asyncio"


def serve(config_path: Path, host: str, port: int, workers: int, log_level: str) -> None:
    """Serve until interrupted. The config is loaded here first so that an error stops the start
    with a clear message instead of failing inside every worker."""
    import uvicorn

    from legion.llm.config import load_config
    from legion.llm.server.app import create_app

    config = load_config(config_path)
    if host not in LOOPBACK and config.master_key is None and not config.keys:
        raise ExposedWithoutKeys(
            f"refusing to serve on {host} without keys: anyone who can reach it could spend on "
            "your providers. Set general_settings.master_key (e.g. os.environ/LEGION_LLM_KEY) "
            "or legion.keys in the config, or bind to 127.0.0.1"
        )
    os.environ[CONFIG_ENV] = str(config_path.resolve())
    common: dict[str, Any] = {
        "host": host,
        "port": port,
        "loop": fast_loop(),
        "http": "httptools",
        "log_level": log_level,
        "access_log": False,
        "lifespan": "on",
        "timeout_keep_alive": 30,
    }
    if workers > 1:
        uvicorn.run("legion.llm.server.asgi:create", factory=True, workers=workers, **common)
    else:
        uvicorn.run(create_app(config), **common)
