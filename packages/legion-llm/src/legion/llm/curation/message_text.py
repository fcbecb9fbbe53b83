"""The readable text of a message, tool traffic included: what similarity, fact extraction and
retention checks look at."""

from __future__ import annotations

from legion.llm.canonical import Message, TextPart, ThinkingPart, ToolResultPart, ToolUsePart


def full_text(message: Message, *, thinking: bool = False) -> str:
    """Text parts, tool-call arguments and tool-result text, one per line."""
    chunks: list[str] = []
    for part in message.content:
        if isinstance(part, TextPart) or (thinking and isinstance(part, ThinkingPart)):
            chunks.append(part.text)
        elif isinstance(part, ToolUsePart):
            chunks.append(f"{part.name} {part.arguments}")
        elif isinstance(part, ToolResultPart):
            chunks.extend(p.text for p in part.content if isinstance(p, TextPart))
    return "\n".join(chunks)


def result_text(part: ToolResultPart) -> str:
    return "".join(p.text for p in part.content if isinstance(p, TextPart))


def system_note(text: str) -> Message:
    """A note curation leaves where it removed something, as a system message."""
    return Message(role="system", content=[TextPart(text=text)])
