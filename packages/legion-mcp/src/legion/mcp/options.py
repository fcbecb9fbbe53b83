"""How the server behaves, independent of transport: its name, how long tool calls wait, and
the model `legion.do` may ask."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from legion.mcp.intent_llm import LlmEndpoint


class ServerOptions(BaseModel):
    """Built from the `mcp` settings section by the CLI; tests build it directly."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = "legion"
    wait_seconds: float = Field(default=30.0, gt=0)  # a tool call returns the task id after this
    progress_interval: float = Field(default=1.0, gt=0)  # seconds between progress notifications
    llm: LlmEndpoint | None = None  # tier 1 of `legion.do` (None: tier 0 only)
