from __future__ import annotations

from typing import Any

from legion.llm.curation.fold_resolved_exchanges import (
    MAX_NOTE_CHARS,
    NOTE_PREFIX,
    fold_resolved_exchanges,
)


def test_clarification_with_counter_question_becomes_one_note(convo: Any) -> None:
    c = convo().assistant("Done with the refactor.")
    c.user("Do the migrations need to run before the deploy or after?")
    c.assistant("Which migrations do you mean, the index or the backfill?")
    c.user("The index one.")
    c.assistant("Before: migration 0042_order_index must be applied first.")
    c.user("Great, now add the endpoint.")
    out = fold_resolved_exchanges(c.messages)
    assert len(out) == 3
    note = out[1].text()
    assert out[1].role == "system" and note.startswith(NOTE_PREFIX)
    assert "0042_order_index must be applied first" in note and "The index one." in note
    assert len(note) <= MAX_NOTE_CHARS
    assert out[0] is c.messages[0] and out[2] is c.messages[-1]


def test_long_question_is_clipped_never_the_answer(convo: Any) -> None:
    question = "Quick question: should we keep the legacy endpoint " + "for clients " * 20 + "?"
    c = convo().user(question).assistant("Yes, keep /v2/orders as a deprecated alias.")
    [note] = fold_resolved_exchanges(c.messages)
    assert note.text().endswith("→ Yes, keep /v2/orders as a deprecated alias.]")


def test_not_folded_requests_long_answers_or_tool_work(convo: Any) -> None:
    request = convo().user("Refactor the auth module to use JWT.").assistant("Done.")
    assert fold_resolved_exchanges(request.messages) == request.messages
    long = convo().user("Should I use tabs?").assistant("It depends. " * 60)
    assert fold_resolved_exchanges(long.messages) == long.messages
    tools = convo().user("Is the build green?")
    tools.tool("run_command", {"command": "make"}, "ok")
    tools.assistant("Yes.")
    assert fold_resolved_exchanges(tools.messages) == tools.messages
    # The assistant goes on in a second message: the exchange is not settled yet.
    ongoing = convo().user("Is the build green?").assistant("Checking.").assistant("Yes.")
    assert fold_resolved_exchanges(ongoing.messages) == ongoing.messages


def test_a_statement_followed_by_a_new_turn_is_not_extended(convo: Any) -> None:
    c = convo().user("Is the cache shared between workers?")
    c.assistant("Partly: " + "the cache is per process but warmed from Redis on start. " * 6)
    c.user("OK.").assistant("Noted.")
    assert fold_resolved_exchanges(c.messages) == c.messages
