"""Splitting a history into user turns, so that curation knows which messages are recent."""

from __future__ import annotations

import re

from legion.llm.canonical import ImagePart, Message, TextPart

_REMINDER = re.compile(r"<system-reminder>.*?</system-reminder>", re.DOTALL)


def starts_turn(message: Message) -> bool:
    """A user message with something the person wrote (text or an image) starts a turn; a user
    message carrying only tool results or harness reminders continues the current one."""
    if message.role != "user":
        return False
    for part in message.content:
        if isinstance(part, ImagePart):
            return True
        if isinstance(part, TextPart) and _REMINDER.sub("", part.text).strip():
            return True
    return False


def turn_starts(messages: list[Message]) -> list[int]:
    """Indices of the messages that start a user turn, in order."""
    return [i for i, m in enumerate(messages) if starts_turn(m)]


def recent_start(messages: list[Message], preserve_turns: int) -> int:
    """Index of the first message of the last `preserve_turns` user turns: everything from there
    on is kept verbatim. With fewer turns than that, the whole conversation is recent."""
    if preserve_turns <= 0:
        return len(messages)
    starts = turn_starts(messages)
    if len(starts) < preserve_turns:
        return 0
    return starts[-preserve_turns]
