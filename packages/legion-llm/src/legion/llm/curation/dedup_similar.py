"""Strategy 6: of near-duplicate messages (repeated status lines, re-sent requests, identical
command output) only the latest says anything the model needs; earlier ones become a note."""

from __future__ import annotations

import re

from legion.llm.canonical import Message, Part, TextPart, ToolResultPart
from legion.llm.curation.message_text import result_text, system_note
from legion.llm.curation.tool_pairing import has_tool_traffic
from legion.llm.tokens import estimate_message

NAME = "dedup_similar"
SHINGLE_WORDS = 3
MIN_WORDS = 6
NOTE = '[Near-duplicate of a later message, omitted: "{start}"]'
RESULT_NOTE = "[Near-duplicate of a later tool result, omitted]"

_WORD = re.compile(r"\w+")


def shingles(text: str) -> frozenset[str]:
    """Word 3-shingles of the lowercased text (the words themselves for shorter texts)."""
    words = _WORD.findall(text.lower())
    if len(words) < SHINGLE_WORDS:
        return frozenset(words)
    return frozenset(
        " ".join(words[i : i + SHINGLE_WORDS]) for i in range(len(words) - SHINGLE_WORDS + 1)
    )


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def _comparable(message: Message) -> tuple[str, str] | None:
    """(kind, text) of a message dedup may replace: a text-only message or a message of tool
    results (whose content is replaced, the ids kept)."""
    if message.role == "system" and message.text().startswith("["):
        return None  # curation's own notes
    if not has_tool_traffic(message):
        return message.role, message.text()
    if all(isinstance(p, ToolResultPart) for p in message.content):
        text = "\n".join(result_text(p) for p in message.content if isinstance(p, ToolResultPart))
        if text.startswith(("[superseded", "[Near-duplicate")):
            return None  # already reduced to a note
        return "tool_result", text
    return None


def dedup_similar(messages: list[Message], later: list[Message], threshold: float) -> list[Message]:
    """Messages in `messages` with a near-duplicate after them (in `messages` or in `later`, the
    recent turns) replaced by a note."""
    everything = [*messages, *later]
    keyed: list[tuple[int, str, frozenset[str], int]] = []
    for index, message in enumerate(everything):
        comparable = _comparable(message)
        if comparable is None:
            continue
        kind, text = comparable
        if len(_WORD.findall(text)) < MIN_WORDS:
            continue
        grams = shingles(text)
        keyed.append((index, kind, grams, len(grams)))
    duplicated: set[int] = set()
    for position, (index, kind, grams, size) in enumerate(keyed):
        if index >= len(messages):
            break
        for _, other_kind, other, other_size in keyed[position + 1 :]:
            if other_kind != kind or min(size, other_size) < threshold * max(size, other_size):
                continue  # a length ratio below the threshold rules out the Jaccard bound
            if jaccard(grams, other) >= threshold:
                duplicated.add(index)
                break
    out: list[Message] = []
    for index, message in enumerate(messages):
        if index not in duplicated:
            out.append(message)
        elif has_tool_traffic(message):
            parts: list[Part] = [
                ToolResultPart(p.tool_call_id, [TextPart(text=RESULT_NOTE)], p.is_error)
                for p in message.content
                if isinstance(p, ToolResultPart)
            ]
            out.append(Message(message.role, parts, message.name))
        else:
            start = " ".join(message.text().split())[:80]
            note = system_note(NOTE.format(start=start))
            # A short message is kept rather than replaced by a longer note.
            out.append(note if estimate_message(note) < estimate_message(message) else message)
    return out
