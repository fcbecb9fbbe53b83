"""Loading the litellm adapter or pricing must not load litellm itself (seconds of start-up)."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import sys
import legion.llm.providers.litellm_provider as provider
import legion.llm.pricing
assert provider.LiteLLMProvider.family == "litellm"
print("litellm" in sys.modules)
"""


def test_importing_the_adapter_leaves_litellm_unloaded() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "False"
