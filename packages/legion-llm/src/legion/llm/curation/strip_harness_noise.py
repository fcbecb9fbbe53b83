"""Strategy 3: what an agent harness injects for the moment (reminders, status lines, a system
message repeated verbatim) has no value once the moment has passed."""

from __future__ import annotations

import re

from legion.llm.canonical import Message, Part, TextPart

NAME = "strip_harness_noise"

_REMINDER_BLOCK = re.compile(r"\s*<system-reminder>.*?</system-reminder>\s*", re.DOTALL)
# System messages a harness injects on its own; matched against the start of the text.
_HARNESS = re.compile(
    r"\A\s*(?:"
    r"<system-reminder>|<reminder>|\[?reminder\]?:|this is a reminder|"
    r"\[(?:auto|status|harness|background|environment)[^\]]*\]|"
    r"(?:auto-?injected|automatic) (?:status|context|note)|"
    r"(?:current|the current) (?:time|date|working directory) is|"
    r"(?:token|context) usage:|"
    r"background (?:task|job|process) \S+ (?:status|is|has)|"
    r"the user (?:opened|selected|has opened|is viewing) |"
    r"(?:note: )?the todo list|your todo list"
    r")",
    re.IGNORECASE,
)


def is_harness_text(text: str) -> bool:
    if _HARNESS.match(text):
        return True
    return "<system-reminder>" in text and not _REMINDER_BLOCK.sub("", text).strip()


def strip_harness_noise(messages: list[Message], seen_system: set[str]) -> list[Message]:
    """`seen_system` holds the texts of the system messages before `messages` (the system
    prompt); it is extended as messages are read. Reminder blocks inside user text go too."""
    out: list[Message] = []
    for message in messages:
        if message.role == "system":
            text = message.text()
            if text in seen_system or is_harness_text(text):
                continue
            seen_system.add(text)
            out.append(message)
        elif message.role == "user":
            parts: list[Part] = []
            for part in message.content:
                if isinstance(part, TextPart) and "<system-reminder>" in part.text:
                    rest = _REMINDER_BLOCK.sub("\n", part.text).strip()
                    if rest:
                        parts.append(TextPart(text=rest))
                else:
                    parts.append(part)
            if len(parts) == len(message.content) and all(
                a is b for a, b in zip(parts, message.content, strict=True)
            ):
                out.append(message)
            elif parts:
                out.append(Message(role="user", content=parts, name=message.name))
        else:
            out.append(message)
    return out
