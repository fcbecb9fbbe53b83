"""Strategy 5: when the same file was read again later, only the last read says what the file
holds now; earlier reads keep their call and a one-line note (so pairing stays valid)."""

from __future__ import annotations

import json
import re

from legion.llm.canonical import Message, Part, TextPart, ToolResultPart, ToolUsePart

NAME = "evict_superseded"
NOTE = "[superseded by a later read of {path}]"

_READ_TOOL = re.compile(r"read|view|cat|open|show|get_file|load_file", re.IGNORECASE)
_WRITE_TOOL = re.compile(
    r"write|edit|create|delete|patch|replace|insert|move|rename", re.IGNORECASE
)
_PATH_KEYS = ("path", "file_path", "filepath", "filename", "file", "target_file")
# Arguments that select part of a file: reads of different parts do not supersede each other.
_RANGE_KEYS = ("offset", "limit", "start", "end", "start_line", "end_line", "lines", "range")


def read_key(call: ToolUsePart) -> tuple[str, str] | None:
    """(path, range) of a file-read call, or None when the call is not a read of one file."""
    if not _READ_TOOL.search(call.name) or _WRITE_TOOL.search(call.name):
        return None
    try:
        arguments = json.loads(call.arguments or "{}")
    except ValueError:
        return None
    if not isinstance(arguments, dict):
        return None
    path = next((arguments[k] for k in _PATH_KEYS if isinstance(arguments.get(k), str)), None)
    if not path:
        return None
    selection = json.dumps({k: arguments[k] for k in _RANGE_KEYS if k in arguments}, sort_keys=True)
    return path, selection


def evict_superseded(messages: list[Message], everything: list[Message]) -> list[Message]:
    """Earlier successful reads in `messages` emptied when `everything` (the whole conversation,
    recent turns included) holds a later successful read of the same file and range."""
    keys: dict[str, tuple[str, str]] = {}
    for message in everything:
        for part in message.content:
            if isinstance(part, ToolUsePart):
                key = read_key(part)
                if key is not None:
                    keys[part.id] = key
    last: dict[tuple[str, str], str] = {}
    for message in everything:
        for part in message.content:
            if isinstance(part, ToolResultPart) and part.tool_call_id in keys and not part.is_error:
                last[keys[part.tool_call_id]] = part.tool_call_id
    out: list[Message] = []
    for message in messages:
        parts: list[Part] = []
        changed = False
        for part in message.content:
            key = keys.get(part.tool_call_id) if isinstance(part, ToolResultPart) else None
            if (
                isinstance(part, ToolResultPart)
                and key is not None
                and not part.is_error
                and last[key] != part.tool_call_id
            ):
                note = NOTE.format(path=key[0])
                parts.append(ToolResultPart(part.tool_call_id, [TextPart(text=note)]))
                changed = True
            else:
                parts.append(part)
        out.append(Message(message.role, parts, message.name) if changed else message)
    return out
