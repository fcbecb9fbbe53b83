from __future__ import annotations

from typing import Any

from legion.llm.canonical import TextPart, ToolResultPart
from legion.llm.curation.dedup_similar import dedup_similar, jaccard, shingles

STATUS = (
    "Status update: the branch builds cleanly and the suite reports {n} passed and 2 failed, "
    "coverage at 81% of the orders package. Remaining work: the retry path, the integration "
    "tests, and the changelog entry. I will continue with the retry path next."
)


def test_earlier_near_duplicates_become_notes_latest_kept(convo: Any) -> None:
    c = convo().assistant(STATUS.format(n=131)).user("ok").assistant(STATUS.format(n=132))
    assert jaccard(shingles(c.messages[0].text()), shingles(c.messages[2].text())) >= 0.85
    out = dedup_similar(c.messages, [], 0.85)
    assert out[0].role == "system" and out[0].text().startswith("[Near-duplicate")
    assert out[1] is c.messages[1] and out[2] is c.messages[2]


def test_duplicate_in_recent_turns_counts_and_different_messages_stay(convo: Any) -> None:
    old = convo().assistant(STATUS.format(n=1)).assistant("The error is in db.py line 41. " * 5)
    recent = convo().assistant(STATUS.format(n=2))
    out = dedup_similar(old.messages, recent.messages, 0.85)
    assert out[0].text().startswith("[Near-duplicate")
    assert out[1] is old.messages[1]
    assert dedup_similar(old.messages, recent.messages, 1.0) == old.messages


def test_repeated_tool_output_keeps_the_call_ids(convo: Any, assert_paired: Any) -> None:
    c = convo()
    output = "\n".join(f"test_{i} PASSED" for i in range(50))
    first = c.tool("run_command", {"command": "pytest"}, output)
    c.tool("run_command", {"command": "pytest"}, output)
    out = dedup_similar(c.messages, [], 0.85)
    result = out[1].content[0]
    assert isinstance(result, ToolResultPart) and result.tool_call_id == first
    assert result.content == [TextPart("[Near-duplicate of a later tool result, omitted]")]
    assert out[3] is c.messages[3]
    assert_paired(out)
