from __future__ import annotations

import stat
from pathlib import Path

from legion.llm.canonical import (
    ImagePart,
    Message,
    TextPart,
    ThinkingPart,
    ToolResultPart,
    ToolUsePart,
)
from legion.llm.curation.archive import TAG, Archive

MESSAGES = [
    Message("user", [TextPart("my API key is sk-secret"), ImagePart("https://x/y.png", "low")]),
    Message(
        "assistant", [ThinkingPart("t", "sig"), ToolUsePart("c1", "read_file", '{"path":"a"}')]
    ),
    Message("tool", [ToolResultPart("c1", [TextPart("content")], is_error=True)], name="reader"),
]


def test_written_owner_only_and_read_back(tmp_path: Path) -> None:
    archive = Archive(tmp_path / "archive")
    path = archive.write("conv-1", MESSAGES, turns=(1, 3), now=1700000000.0)
    archive.write("conv-1", MESSAGES[:1])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    first, second = archive.read("conv-1")
    assert first.messages == MESSAGES and first.turns == (1, 3) and first.time == 1700000000.0
    assert first.tags == [TAG, "conversation:conv-1"]
    assert second.messages == MESSAGES[:1]
    assert archive.read("other") == []


def test_existing_file_is_narrowed_to_0600(tmp_path: Path) -> None:
    archive = Archive(tmp_path)
    path = archive.path_for("c")
    path.write_text("")
    path.chmod(0o644)
    archive.write("c", MESSAGES)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_unsafe_conversation_ids_cannot_escape_the_directory(tmp_path: Path) -> None:
    archive = Archive(tmp_path)
    for unsafe in ("../../etc/passwd", "..", "", "a/b", "x" * 300):
        path = archive.path_for(unsafe)
        assert path.parent == tmp_path and path.name.startswith("conversation-")
    archive.write("../evil", MESSAGES)
    assert archive.read("../evil")[0].conversation_id == "../evil"
