"""The import path uvicorn's worker processes load: the config file comes from the environment
(`legion-llm serve` sets it after checking the file loads)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from legion.llm.server.fast_path import GatewayApp

CONFIG_ENV = "LEGION_LLM_CONFIG"


def create() -> GatewayApp:
    from legion.llm.config import load_config
    from legion.llm.server.app import create_app

    return create_app(load_config(Path(os.environ[CONFIG_ENV])))
