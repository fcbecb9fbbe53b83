from __future__ import annotations

from typing import Any

from legion.llm.canonical import Message, TextPart, ToolResultPart
from legion.llm.curation.strip_harness_noise import is_harness_text, strip_harness_noise


def test_reminders_status_and_repeats_removed_real_system_messages_kept(convo: Any) -> None:
    c = convo().user("go")
    c.system("<system-reminder>Use the todo list.</system-reminder>")
    c.system("[status] background task build-3 is running (42% complete)")
    c.system("Deploy target is eu-west-1; never touch prod.")
    c.system("Deploy target is eu-west-1; never touch prod.")
    c.system("You are a helpful agent.")  # repeats the system prompt
    out = strip_harness_noise(c.messages, {"You are a helpful agent."})
    assert [m.text() for m in out] == ["go", "Deploy target is eu-west-1; never touch prod."]


def test_reminder_blocks_removed_from_user_text_tool_results_kept() -> None:
    user = Message(
        "user",
        [
            TextPart("Fix it.\n<system-reminder>todo</system-reminder>"),
            ToolResultPart("c1", [TextPart("<system-reminder>x</system-reminder>")]),
        ],
    )
    [out] = strip_harness_noise([user], set())
    assert out.content[0] == TextPart("Fix it.")
    assert out.content[1] is user.content[1]
    assert user.content[0] == TextPart("Fix it.\n<system-reminder>todo</system-reminder>")


def test_harness_patterns() -> None:
    assert is_harness_text("Current working directory is /home/dev")
    assert is_harness_text("Context usage: 80% of the window used")
    assert not is_harness_text("The database password rotates on Mondays.")
    assert not is_harness_text("")
