from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

from legion.llm.curation.archive import Archive
from legion.llm.curation.drop_and_archive import drop_and_archive
from legion.llm.tokens import estimate_messages


def _long(convo: Any, turns: int) -> Any:
    c = convo().system("You are an agent.")
    c.user("We decided to use msgspec for serialization instead of pydantic.")
    c.tool("read_file", {"path": "src/app/config.py"}, "POOL = 1\n" * 300)
    c.assistant("Read it.")
    for turn in range(turns):
        c.user(f"Step {turn}: continue.")
        c.tool("run_command", {"command": f"make step{turn}"}, f"step {turn} output line\n" * 200)
        c.assistant(f"Step {turn} done.")
    return c


def test_under_target_nothing_is_dropped(convo: Any, tmp_path: Path) -> None:
    c = _long(convo, 2)
    out = drop_and_archive(c.messages, len(c.messages), 10**6, 4, "c", Archive(tmp_path))
    assert out.messages is c.messages and out.dropped == 0
    assert not any(tmp_path.iterdir())


def test_drop_keeps_prompt_and_tail_archives_the_rest(
    convo: Any, tmp_path: Path, assert_paired: Any
) -> None:
    c = _long(convo, 12)
    recent = len(c.messages) - 4  # the last turn
    archive = Archive(tmp_path)
    out = drop_and_archive(c.messages, recent, 2000, 6, "conv-9", archive)
    kept = out.messages
    assert kept[0] is c.messages[0]
    note = kept[1].text()
    assert kept[1].role == "system" and note.startswith("[Archived ")
    assert "conversation:conv-9" in note and "turns 1-" in note
    assert "src/app/config.py" in note and "msgspec for serialization" in note
    assert kept[2].role == "user"  # the tail opens at a user turn
    assert kept[-4:] == c.messages[-4:]
    assert estimate_messages(kept) < estimate_messages(c.messages)
    assert_paired(kept)
    [batch] = archive.read("conv-9")
    assert out.archived == out.dropped == len(batch.messages) == len(c.messages) - len(kept) + 1
    assert batch.messages == c.messages[1 : 1 + out.dropped]
    assert stat.S_IMODE(archive.path_for("conv-9").stat().st_mode) == 0o600


def test_without_archive_the_note_says_so(convo: Any) -> None:
    c = _long(convo, 12)
    out = drop_and_archive(c.messages, len(c.messages) - 4, 2000, 6, "c", None)
    assert out.archived == 0 and out.dropped > 0
    assert out.messages[1].text().startswith("[Dropped ")


def test_recent_turns_are_never_dropped(convo: Any) -> None:
    c = _long(convo, 12)
    recent = len(c.messages) - 20
    out = drop_and_archive(c.messages, recent, 10, 2, "c", None)
    assert out.messages[-20:] == c.messages[-20:]
