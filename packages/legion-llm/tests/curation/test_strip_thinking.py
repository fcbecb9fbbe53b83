from __future__ import annotations

from legion.llm.canonical import Message, TextPart, ThinkingPart, ToolUsePart
from legion.llm.curation.strip_thinking import strip_thinking, strip_thinking_text


def test_thinking_parts_dropped_text_and_tool_calls_kept() -> None:
    message = Message(
        "assistant",
        [ThinkingPart("long reasoning", "sig"), TextPart("answer"), ToolUsePart("c1", "f", "{}")],
    )
    [out] = strip_thinking([message])
    assert [type(p) for p in out.content] == [TextPart, ToolUsePart]
    assert message.content[0] == ThinkingPart("long reasoning", "sig")  # input untouched


def test_leading_tags_and_thinking_sections() -> None:
    assert strip_thinking_text("<thinking>a\nb</thinking>\n\nThe answer.") == "The answer."
    assert strip_thinking_text("<think>x</think><think>y</think>Done") == "Done"
    text = "# Thinking\nhmm\n## detail\nmore\n# Answer\nUse 42."
    assert strip_thinking_text(text) == "# Answer\nUse 42."
    # A tag in the middle is content, not a preamble.
    assert strip_thinking_text("Use <think> tags like this") == "Use <think> tags like this"


def test_reasoning_only_message_removed_other_roles_untouched() -> None:
    user = Message("user", [TextPart("<thinking>mine</thinking>question")])
    only = Message("assistant", [ThinkingPart("just thinking")])
    assert strip_thinking([user, only]) == [user]
