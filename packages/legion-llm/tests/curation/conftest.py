"""Builders for small hand-made conversations in canonical form."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from legion.llm.canonical import Message, Part, TextPart, ThinkingPart, ToolResultPart, ToolUsePart
from legion.llm.curation.tool_pairing import unpaired


class Conversation:
    """Appends messages; tool calls get sequential ids (`c1`, `c2`, ...)."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self._calls = 0

    def system(self, text: str) -> Conversation:
        self.messages.append(Message("system", [TextPart(text)]))
        return self

    def user(self, text: str) -> Conversation:
        self.messages.append(Message("user", [TextPart(text)]))
        return self

    def assistant(self, text: str, thinking: str | None = None) -> Conversation:
        parts: list[Part] = [ThinkingPart(thinking)] if thinking else []
        parts.append(TextPart(text))
        self.messages.append(Message("assistant", parts))
        return self

    def tool(
        self, name: str, arguments: dict[str, object], result: str, error: bool = False
    ) -> str:
        """An assistant tool call and its result (OpenAI style: a `tool` message)."""
        self._calls += 1
        call_id = f"c{self._calls}"
        self.messages.append(
            Message("assistant", [ToolUsePart(call_id, name, json.dumps(arguments))])
        )
        self.messages.append(Message("tool", [ToolResultPart(call_id, [TextPart(result)], error)]))
        return call_id


@pytest.fixture
def convo() -> Callable[[], Conversation]:
    return Conversation


@pytest.fixture
def assert_paired() -> Callable[[list[Message]], None]:
    def check(messages: list[Message]) -> None:
        assert unpaired(messages) == set()

    return check


def python_source(lines: int, extra: str = "") -> str:
    body = [
        f"def handler_{i}(value: int) -> int:\n    return value + {i}" for i in range(lines // 2)
    ]
    return f'"""Module."""\n\nTIMEOUT_SECONDS = 30\n{extra}\n' + "\n".join(body)


@pytest.fixture
def source() -> Callable[..., str]:
    return python_source
