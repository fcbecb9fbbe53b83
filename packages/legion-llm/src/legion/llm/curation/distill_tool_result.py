"""Strategy 2: a long old tool result becomes a one-line summary of what it was (file read,
command output, JSON, search hits) that keeps the identifiers a later question may need: paths,
definitions, settings with their values, error lines, exit status."""

from __future__ import annotations

import json
import re
from typing import Any

from legion.llm.canonical import Message, Part, TextPart, ToolResultPart, ToolUsePart
from legion.llm.curation.message_text import result_text

NAME = "distill_tool_result"
MARK = "[distilled"
MAX_SUMMARY_CHARS = 1200
# Configuration files are mostly facts: their summary may keep every setting, up to this size
# (and never more than 80% of the original).
MAX_CONFIG_SUMMARY_CHARS = 4000

_PATH_KEYS = ("path", "file_path", "filepath", "filename", "file", "target_file")
_COMMAND_KEYS = ("command", "cmd", "script")
_QUERY_KEYS = ("query", "pattern", "regex", "q", "search")
_LINE_NUMBER = re.compile(r"^\s*\d+(?:\t|: |\s*[│|→]\s?)")
_DEFINITION = re.compile(
    r"^\s*(?:export\s+)?(?:pub\s+)?(?:async\s+)?"
    r"(def|class|function|interface|type|struct|enum|trait|fn|func)\s+([A-Za-z_]\w*)"
)
_CONSTANT = re.compile(r"^\s*([A-Z][A-Z0-9_]{2,})\s*(?::\s*[\w\[\], |.]+)?\s*=\s*(.+?)\s*$")
_FIELD_DEFAULT = re.compile(r"^\s+([a-z_]\w*)\s*:\s*[\w\[\], |.]+\s*=\s*(.+?)\s*$")
_CONFIG_KEY = re.compile(r"^\s*([A-Za-z_][\w.-]*)\s*[:=]\s*([^\s#{\[][^#]*?)\s*$")
_ERROR = re.compile(
    r"\b\w*(?:Error|Exception|Exit|Failure)\b:?|Traceback|^E\s{2,}|\bFAILED\b|"
    r"\b(?:error|fatal|panic)(?:\[\w+\])?:|\bfailed\b",
    re.IGNORECASE,
)
_FRAME = re.compile(r'File "([^"]+)", line (\d+)')
_EXIT = re.compile(
    r"(?:exit(?:ed)?(?:\s+with)?\s+(?:code|status)|return\s*code|returncode|exit_code)"
    r"\s*[:=]?\s*(-?\d+)",
    re.IGNORECASE,
)
_SEARCH_HIT = re.compile(r"^([^\s:]+):(\d+)[:-]")
_PATH = re.compile(r"(?:[\w.-]+/)+[\w.-]+\.\w{1,5}\b")
_CONFIG_SUFFIXES = (".yaml", ".yml", ".toml", ".ini", ".cfg", ".env", ".conf", ".properties")


def _arguments(call: ToolUsePart | None) -> dict[str, Any]:
    if call is None:
        return {}
    try:
        value = json.loads(call.arguments or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _first(arguments: dict[str, Any], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = arguments.get(key)
        if isinstance(value, str) and value:
            return value
        if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            return " ".join(value)
    return None


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _unique(items: list[str], limit: int) -> list[str]:
    seen: dict[str, None] = {}
    for item in items:
        if item and item not in seen:
            seen[item] = None
        if len(seen) >= limit:
            break
    return list(seen)


def _error_lines(lines: list[str], limit: int = 6) -> list[str]:
    errors = [_clip(line, 200) for line in lines if _ERROR.search(line)]
    frames = _FRAME.findall("\n".join(lines))
    if frames:
        path, line = frames[-1]
        errors.append(f"innermost frame {path}:{line}")
    # The last error lines are the conclusion (the exception after its traceback).
    return _unique(list(reversed(errors)), limit)[::-1]


def _strip_line_numbers(lines: list[str]) -> list[str]:
    numbered = sum(1 for line in lines if _LINE_NUMBER.match(line))
    if lines and numbered >= 0.8 * len(lines):
        return [_LINE_NUMBER.sub("", line, count=1) for line in lines]
    return lines


def _config_values(lines: list[str]) -> list[str]:
    """key=value for every scalar setting, prefixed by its YAML/TOML/INI section."""
    values: list[str] = []
    section = ""
    for line in lines:
        header = re.match(r"^\[([^\]]+)\]\s*$", line) or re.match(r"^([A-Za-z_][\w.-]*):\s*$", line)
        if header:
            section = header.group(1)
            continue
        match = _CONFIG_KEY.match(line)
        if match:
            indented = line[:1].isspace()
            key = f"{section}.{match.group(1)}" if section and indented else match.group(1)
            values.append(f"{key}={_clip(match.group(2), 60)}")
        elif line and not line[:1].isspace() and not line.startswith("#"):
            section = ""
    return values


def _summarise_file(path: str, lines: list[str]) -> list[str]:
    lines = _strip_line_numbers(lines)
    pieces = [f"{path}: {len(lines)} lines"]
    if path.lower().endswith(_CONFIG_SUFFIXES):
        values = _config_values(lines)
    else:
        definitions = [f"{m.group(1)} {m.group(2)}" for m in map(_DEFINITION.match, lines) if m]
        if definitions:
            pieces.append("defines " + ", ".join(_unique(definitions, 24)))
        constants = [m for m in map(_CONSTANT.match, lines) if m]
        # Field defaults that are literals; `field(...)` and None say nothing worth keeping.
        fields = [
            m
            for m in map(_FIELD_DEFAULT.match, lines)
            if m and not m.group(2).startswith(("field(", "None"))
        ]
        values = [f"{m.group(1)}={_clip(m.group(2), 60)}" for m in [*constants, *fields]]
    values = _unique(values, 200)
    if values:
        pieces.append("values " + ", ".join(values))
    errors = [line for line in _error_lines(lines, 3) if not line.startswith("innermost")]
    if errors:
        pieces.append("mentions " + " / ".join(errors))
    return pieces


def _summarise_command(
    command: str | None, lines: list[str], text: str, is_error: bool
) -> list[str]:
    exits = _EXIT.findall(text)
    if exits:
        status = f"exit {exits[-1]}"
    elif is_error:
        status = "failed"
    else:
        status = "exit status not shown"
    head = f"`{_clip(command, 120)}`" if command else "command output"
    pieces = [f"{head} {status}, {len(lines)} lines"]
    errors = _error_lines(lines)
    if errors:
        pieces.append("errors: " + " / ".join(errors))
    tail = [_clip(line, 160) for line in lines if line.strip()][-3:]
    if tail:
        pieces.append("last lines: " + " / ".join(tail))
    return pieces


def _summarise_json(value: Any) -> list[str]:
    if isinstance(value, dict):
        scalars = [
            f"{k}={_clip(json.dumps(v), 50)}"
            for k, v in value.items()
            if isinstance(v, str | int | float | bool) or v is None
        ]
        pieces = [f"JSON object with {len(value)} keys: " + ", ".join(map(str, list(value)[:30]))]
        if scalars:
            pieces.append("values " + ", ".join(scalars[:20]))
        return pieces
    if isinstance(value, list):
        pieces = [f"JSON array of {len(value)} items"]
        dicts = [v for v in value if isinstance(v, dict)]
        if dicts:
            pieces.append("item keys " + ", ".join(map(str, list(dicts[0])[:20])))
            ids = [str(d[k]) for d in dicts for k in ("id", "name", "key", "path") if k in d]
            if ids:
                pieces.append("ids " + ", ".join(_unique(ids, 15)))
        return pieces
    return [f"JSON {type(value).__name__}: {_clip(json.dumps(value), 200)}"]


def _summarise_search(query: str | None, lines: list[str]) -> list[str] | None:
    hits = [m for m in map(_SEARCH_HIT.match, lines) if m]
    if not lines or len(hits) < 0.6 * len([line for line in lines if line.strip()]):
        return None
    files: dict[str, int] = {}
    for hit in hits:
        files[hit.group(1)] = files.get(hit.group(1), 0) + 1
    head = f"search `{_clip(query, 80)}`" if query else "search"
    listing = ", ".join(f"{path} ({count})" for path, count in list(files.items())[:15])
    return [f"{head}: {len(hits)} matches in {len(files)} files: {listing}"]


def _summarise_generic(lines: list[str], text: str) -> list[str]:
    pieces = [f"{len(lines)} lines"]
    first = next((line for line in lines if line.strip()), "")
    if first:
        pieces.append("starts " + _clip(first, 160))
    paths = _unique(_PATH.findall(text), 10)
    if paths:
        pieces.append("paths " + ", ".join(paths))
    errors = _error_lines(lines)
    if errors:
        pieces.append("errors: " + " / ".join(errors))
    tail = [_clip(line, 160) for line in lines if line.strip()][-2:]
    if tail:
        pieces.append("last lines: " + " / ".join(tail))
    return pieces


def summarise(text: str, call: ToolUsePart | None, is_error: bool = False) -> str:
    """One line saying what the result was, keeping its identifiers."""
    arguments = _arguments(call)
    name = call.name.lower() if call else "tool"
    lines = text.splitlines()
    path = _first(arguments, _PATH_KEYS)
    command = _first(arguments, _COMMAND_KEYS)
    query = _first(arguments, _QUERY_KEYS)
    pieces: list[str] | None = None
    stripped = text.strip()
    if stripped[:1] in "{[":
        try:
            pieces = _summarise_json(json.loads(stripped))
        except ValueError:
            pieces = None
    if pieces is None and (query or any(w in name for w in ("search", "grep", "find", "glob"))):
        pieces = _summarise_search(query, lines)
    if pieces is None and command is None and path is not None and not is_error:
        pieces = _summarise_file(path, lines)
    if pieces is None and (command or any(w in name for w in ("run", "exec", "bash", "shell"))):
        pieces = _summarise_command(command, lines, text, is_error)
    if pieces is None:
        pieces = _summarise_generic(lines, text)
    line = f"{MARK} {call.name if call else 'tool'} result, {len(text)} chars] " + "; ".join(pieces)
    limit = MAX_SUMMARY_CHARS
    if path is not None and path.lower().endswith(_CONFIG_SUFFIXES):
        limit = max(limit, min(MAX_CONFIG_SUMMARY_CHARS, int(len(text) * 0.8)))
    return _clip(line, limit)


def distill_tool_results(
    messages: list[Message], calls: dict[str, ToolUsePart], threshold_chars: int
) -> list[Message]:
    """Tool results over `threshold_chars` replaced by their summary; `calls` maps call ids to
    the calls of the whole conversation (a result's call says what the result was)."""
    out: list[Message] = []
    for message in messages:
        parts: list[Part] = []
        changed = False
        for part in message.content:
            if isinstance(part, ToolResultPart):
                text = result_text(part)
                if len(text) > threshold_chars and not text.startswith(MARK):
                    summary = summarise(text, calls.get(part.tool_call_id), part.is_error)
                    if len(summary) < len(text):
                        others = [p for p in part.content if not isinstance(p, TextPart)]
                        content: list[Any] = [TextPart(text=summary), *others]
                        parts.append(ToolResultPart(part.tool_call_id, content, part.is_error))
                        changed = True
                        continue
            parts.append(part)
        out.append(Message(message.role, parts, message.name) if changed else message)
    return out


def calls_by_id(messages: list[Message]) -> dict[str, ToolUsePart]:
    return {p.id: p for m in messages for p in m.content if isinstance(p, ToolUsePart)}
