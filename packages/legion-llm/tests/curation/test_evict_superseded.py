from __future__ import annotations

from typing import Any

from legion.llm.canonical import TextPart, ToolResultPart
from legion.llm.curation.evict_superseded import evict_superseded


def _result(message: Any) -> ToolResultPart:
    part = message.content[0]
    assert isinstance(part, ToolResultPart)
    return part


def test_only_the_last_read_of_a_file_keeps_its_content(convo: Any) -> None:
    c = convo()
    first = c.tool("read_file", {"path": "src/a.py"}, "version 1")
    c.tool("edit_file", {"path": "src/a.py", "old_string": "1", "new_string": "2"}, "edited")
    c.tool("read_file", {"path": "src/b.py"}, "other file")
    c.tool("read_file", {"path": "src/a.py"}, "version 2")
    out = evict_superseded(c.messages, c.messages)
    assert _result(out[1]).tool_call_id == first
    assert _result(out[1]).content == [TextPart("[superseded by a later read of src/a.py]")]
    assert _result(out[3]).content == [TextPart("edited")]  # a write is not a read
    assert _result(out[5]).content == [TextPart("other file")]
    assert _result(out[7]).content == [TextPart("version 2")]
    assert out[0] is c.messages[0]  # the call stays: pairing remains valid


def test_later_read_in_recent_turns_supersedes_partial_and_failed_reads_do_not(
    convo: Any,
) -> None:
    old = convo()
    old.tool("read_file", {"path": "a.py"}, "old content")
    old.tool("read_file", {"path": "a.py", "offset": 100, "limit": 50}, "lines 100-150")
    recent = convo()
    recent.tool("read_file", {"path": "a.py"}, "No such file", error=True)
    out = evict_superseded(old.messages, [*old.messages, *recent.messages])
    assert _result(out[1]).content == [TextPart("old content")]
    recent.tool("read_file", {"path": "a.py"}, "new content")
    out = evict_superseded(old.messages, [*old.messages, *recent.messages])
    assert "superseded" in _result(out[1]).content[0].text  # type: ignore[union-attr]
    assert _result(out[3]).content == [TextPart("lines 100-150")]
