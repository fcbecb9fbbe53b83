"""Strategy 7: when the history is still over budget, the oldest messages leave the context (into
the archive when one is configured) and a system note says what went where."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from legion.llm.canonical import Message, ToolResultPart, ToolUsePart
from legion.llm.curation.archive import TAG, Archive
from legion.llm.curation.key_facts import key_facts
from legion.llm.curation.message_text import system_note
from legion.llm.curation.tool_pairing import call_ids
from legion.llm.curation.turns import turn_starts
from legion.llm.tokens import estimate_messages

NAME = "drop_and_archive"
NOTE_PREFIXES = ("[Archived ", "[Dropped ")
_PATH_KEYS = ("path", "file_path", "filepath", "filename", "file", "target_file")
_LAST_TURN = re.compile(r"\(turns \d+[-](\d+)\)")


@dataclass(slots=True)
class Dropped:
    messages: list[Message]
    archived: int
    dropped: int


def _leading_system(messages: list[Message]) -> int:
    count = 0
    while count < len(messages) and messages[count].role == "system":
        count += 1
    return count


def _turn_offset(lead: list[Message]) -> int:
    """Turns dropped by earlier passes, read back from their notes, so numbering continues."""
    last = 0
    for message in lead:
        if message.text().startswith(NOTE_PREFIXES):
            for match in _LAST_TURN.finditer(message.text()):
                last = max(last, int(match.group(1)))
    return last


def _files(messages: list[Message]) -> list[str]:
    paths: dict[str, None] = {}
    for message in messages:
        for part in message.content:
            if not isinstance(part, ToolUsePart):
                continue
            try:
                arguments = json.loads(part.arguments or "{}")
            except ValueError:
                continue
            if isinstance(arguments, dict):
                for key in _PATH_KEYS:
                    if isinstance(arguments.get(key), str):
                        paths.setdefault(arguments[key], None)
    return list(paths)


def _split_point(
    messages: list[Message], lead: int, keep_from: int, recent: int, target: int
) -> int:
    """Where the kept tail starts: at a user turn, so that it opens like a conversation and no
    kept tool result loses its call. The previous turn start when keeping it is cheap (a quarter
    of the target), else the next one (never past the recent turns)."""
    starts = [i for i in turn_starts(messages) if i >= lead]
    before = [i for i in starts if i <= keep_from]
    after = [i for i in starts if keep_from <= i <= recent]
    if before and (
        before[-1] == keep_from
        or not after
        or estimate_messages(messages[before[-1] : keep_from]) <= target // 4
    ):
        return before[-1]
    if after:
        return after[0]
    # No turn boundary: only keep pairing valid, moving back to include the calls of kept results.
    point = keep_from
    while point > lead:
        dropped_calls = call_ids(messages[lead:point])
        if not any(
            isinstance(p, ToolResultPart) and p.tool_call_id in dropped_calls
            for m in messages[point:]
            for p in m.content
        ):
            break
        point -= 1
    return point


def drop_and_archive(
    messages: list[Message],
    recent: int,
    target_tokens: int,
    keep_last: int,
    conversation_id: str,
    archive: Archive | None,
) -> Dropped:
    """`recent` is the index of the first preserved message; nothing from there on is dropped,
    nor the leading system messages (the system prompt and earlier archive notes)."""
    if estimate_messages(messages) <= target_tokens:
        return Dropped(messages, 0, 0)
    lead = _leading_system(messages)
    keep_from = max(lead, min(len(messages) - keep_last, recent))
    point = _split_point(messages, lead, keep_from, recent, target_tokens)
    dropped = messages[lead:point]
    if not dropped:
        return Dropped(messages, 0, 0)
    offset = _turn_offset(messages[:lead])
    starts = turn_starts(messages)
    first_turn = offset + max(1, sum(1 for s in starts if s <= lead))
    last_turn = offset + max(1, sum(1 for s in starts if s < point))
    turns = (first_turn, last_turn)
    files = _files(dropped)
    facts = key_facts(dropped)
    if archive is not None:
        archive.write(conversation_id, dropped, turns)
        head = (
            f"[Archived {len(dropped)} earlier messages (turns {first_turn}-{last_turn}) to the "
            f"conversation archive, tags {TAG}, conversation:{conversation_id}."
        )
    else:
        head = (
            f"[Dropped {len(dropped)} earlier messages (turns {first_turn}-{last_turn}) to fit the "
            "context; they were not archived."
        )
    lines = [head]
    if files:
        lines.append("Files touched: " + ", ".join(files[:25]))
    if facts:
        lines.append("Key facts:")
        lines.extend(f"- {fact}" for fact in facts)
    note = system_note("\n".join(lines) + "]")
    kept = [*messages[:lead], note, *messages[point:]]
    return Dropped(kept, len(dropped) if archive is not None else 0, len(dropped))
