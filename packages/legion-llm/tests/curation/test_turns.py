from __future__ import annotations

from typing import Any

from legion.llm.canonical import Message, TextPart, ToolResultPart
from legion.llm.curation.turns import recent_start, starts_turn, turn_starts


def test_tool_results_and_reminders_do_not_start_turns(convo: Any) -> None:
    c = convo().system("prompt").user("first").assistant("ok")
    c.messages.append(Message("user", [ToolResultPart("x", [TextPart("out")])]))
    c.messages.append(Message("user", [TextPart("<system-reminder>todo</system-reminder>")]))
    c.user("second")
    assert turn_starts(c.messages) == [1, 5]
    assert not starts_turn(c.messages[0])


def test_recent_start_counts_user_turns_from_the_end(convo: Any) -> None:
    c = convo().system("p").user("1").assistant("a").user("2").assistant("b").user("3")
    assert recent_start(c.messages, 2) == 3
    assert recent_start(c.messages, 1) == 5
    assert recent_start(c.messages, 5) == 0  # fewer turns than preserved: all recent
    assert recent_start(c.messages, 0) == len(c.messages)
