"""Strategy 1: old reasoning is spent once its answer exists, so drop it from old assistant turns
(thinking blocks, leading <thinking>/<think> text, "# Thinking" sections)."""

from __future__ import annotations

import re

from legion.llm.canonical import Message, Part, TextPart, ThinkingPart

NAME = "strip_thinking"

_LEADING_TAG = re.compile(r"\A\s*<(thinking|think)>.*?</\1>\s*", re.DOTALL | re.IGNORECASE)
_HEADING = re.compile(r"^(#{1,6})[ \t]+(.*?)[ \t]*$", re.MULTILINE)


def strip_thinking_text(text: str) -> str:
    """`text` without leading thinking tags and without "# Thinking" sections (up to the next
    heading of the same or a higher level)."""
    while True:
        match = _LEADING_TAG.match(text)
        if match is None:
            break
        text = text[match.end() :]
    return _strip_sections(text)


def _strip_sections(text: str) -> str:
    headings = list(_HEADING.finditer(text))
    cut: list[tuple[int, int]] = []
    for i, heading in enumerate(headings):
        if heading.group(2).strip().rstrip(":").lower() not in {
            "thinking",
            "thoughts",
            "reasoning",
        }:
            continue
        level = len(heading.group(1))
        end = len(text)
        for later in headings[i + 1 :]:
            if len(later.group(1)) <= level:
                end = later.start()
                break
        cut.append((heading.start(), end))
    if not cut:
        return text
    pieces: list[str] = []
    position = 0
    for start, end in cut:
        if start < position:
            continue
        pieces.append(text[position:start])
        position = end
    pieces.append(text[position:])
    return "".join(pieces).strip()


def strip_thinking(messages: list[Message]) -> list[Message]:
    out: list[Message] = []
    for message in messages:
        if message.role != "assistant":
            out.append(message)
            continue
        parts: list[Part] = []
        changed = False
        for part in message.content:
            if isinstance(part, ThinkingPart):
                changed = True
            elif isinstance(part, TextPart):
                stripped = strip_thinking_text(part.text)
                if stripped != part.text:
                    changed = True
                    if stripped.strip():
                        parts.append(TextPart(text=stripped))
                else:
                    parts.append(part)
            else:
                parts.append(part)
        if not changed:
            out.append(message)
        elif parts:
            out.append(Message(role="assistant", content=parts, name=message.name))
        # An assistant message that held only reasoning is dropped: an empty message is rejected.
    return out
