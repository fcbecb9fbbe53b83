"""The command runner: `exec.command.run` executes an allow-listed program on this node.

It is local-only (not remotely invocable, not an MCP tool): running commands is something a node
decides for itself, through its own `lex.exec.allow` setting.
"""

from __future__ import annotations

import os
from typing import Annotated, Any

from pydantic import Field

from legion.core.context import Context
from legion.core.errors import UsageError
from legion.core.logging import logger
from legion.core.sdk import capability
from legion.extensions.exec.config import ExecConfig
from legion.extensions.exec.policy import check_argv, resolve
from legion.extensions.exec.process import run_process

__all__ = ["run"]

Seconds = Annotated[float, Field(gt=0)]


@capability(remote_invocable=False, mcp_exposed=False)
def run(
    argv: list[str],
    cwd: str | None = None,
    timeout: Seconds = 30,
    env: dict[str, str] | None = None,
    *,
    ctx: Context,
) -> dict[str, Any]:
    """Run an allow-listed command from an argv list (no shell); returns returncode, stdout,
    stderr, elapsed_ms, truncated and timed_out.

    `env` is added to the node's environment. On timeout the command's whole process group is
    killed. stdout and stderr are each cut at `lex.exec.max_output_bytes`.
    """
    config = ExecConfig.from_settings(ctx.settings)
    check_argv(argv)
    executable = resolve(argv[0], config)
    if timeout > config.max_timeout:
        raise UsageError(
            f"timeout {timeout}s is over this node's limit of {config.max_timeout}s",
            hint="ask for less, or raise lex.exec.max_timeout",
        )
    if cwd is not None and not os.path.isdir(cwd):
        raise UsageError(f"cwd {cwd!r} is not a directory on this node")
    logger.info("exec: {} with {} argument(s)", executable, len(argv) - 1)
    return run_process(
        executable,
        argv,
        cwd=cwd,
        env=None if env is None else {**os.environ, **env},
        timeout=timeout,
        max_bytes=config.max_output_bytes,
    )
