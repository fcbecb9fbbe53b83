"""Strategy 4: a short clarification (the user asks, the assistant settles it) is worth one line
once settled: the exchange becomes a system note that keeps the answer."""

from __future__ import annotations

import re

from legion.llm.canonical import ImagePart, Message
from legion.llm.curation.message_text import system_note
from legion.llm.curation.tool_pairing import has_tool_traffic
from legion.llm.tokens import estimate_message, estimate_messages

NAME = "fold_resolved_exchanges"
NOTE_PREFIX = "[Exchange resolved: "
MAX_NOTE_CHARS = 300
MAX_MESSAGES = 4
MAX_QUESTION_CHARS = 300
MAX_ANSWER_CHARS = 400
# The user's side is context for the answer; it is clipped first, to this length at most.
MAX_NOTE_QUESTION_CHARS = 120

_CLARIFYING = re.compile(
    r"\A\s*(?:should|shall|do|does|did|is|are|was|can|could|would|will|which|what about|"
    r"just to (?:confirm|check)|to confirm|confirm|quick question|wait)\b",
    re.IGNORECASE,
)
_CONCLUDES = re.compile(
    r"\A\s*(?:yes|no|yep|nope|correct|right|exactly|confirmed|done|agreed|ok|okay|sure|"
    r"that's right|not quite|good question)\b",
    re.IGNORECASE,
)


def _plain(message: Message) -> str | None:
    """The text of a message that is text only (no tool traffic, no image), else None."""
    if has_tool_traffic(message) or len(message.text()) == 0:
        return None
    if any(isinstance(p, ImagePart) for p in message.content):
        return None
    return " ".join(message.text().split())


def _is_question(text: str) -> bool:
    return len(text) <= MAX_QUESTION_CHARS and (text.endswith("?") or bool(_CLARIFYING.match(text)))


def _note(question: str, answer: str) -> str | None:
    """The note, or None when the answer itself does not fit (then the exchange stays)."""
    budget = MAX_NOTE_CHARS - len(NOTE_PREFIX) - len(" → ]")
    if len(answer) > budget - 20:
        return None
    room = min(budget - len(answer), MAX_NOTE_QUESTION_CHARS)
    if len(question) > room:
        question = question[: room - 1] + "…"
    return f"{NOTE_PREFIX}{question} → {answer}]"


def fold_resolved_exchanges(messages: list[Message]) -> list[Message]:
    out: list[Message] = []
    i = 0
    while i < len(messages):
        folded = _fold_at(messages, i)
        if folded is None:
            out.append(messages[i])
            i += 1
        else:
            note, length = folded
            out.append(system_note(note))
            i += length
    return out


def _fold_at(messages: list[Message], start: int) -> tuple[str, int] | None:
    """The note and the number of messages it replaces, for an exchange starting at `start`."""
    first = messages[start]
    question = _plain(first) if first.role == "user" else None
    if question is None or not _is_question(question):
        return None
    for length in range(2, MAX_MESSAGES + 1, 2):
        end = start + length
        if end > len(messages):
            return None
        window = messages[start:end]
        texts = [_plain(m) for m in window]
        roles = [m.role for m in window]
        if any(t is None for t in texts) or roles != ["user", "assistant"] * (length // 2):
            return None
        plain = [t for t in texts if t is not None]
        if any(len(t) > MAX_QUESTION_CHARS for t in plain[:-1]):
            return None  # a long message in the middle would be lost
        answer = plain[-1]
        # Settled: the next message starts something new (a user turn) or the window ends here.
        # An answer that is itself a question waits for the user's reply (up to MAX_MESSAGES).
        settled = (end == len(messages) or messages[end].role != "assistant") and not (
            answer.endswith("?")
        )
        if not settled and not answer.endswith("?"):
            return None  # the assistant goes on: not a settled exchange
        short = len(answer) <= MAX_ANSWER_CHARS
        if settled and (short or _CONCLUDES.match(answer)):
            # The user's side of the exchange (the question and any reply to a counter-question).
            note = _note(" / ".join(plain[0:-1:2]), answer)
            # Folding must not grow the context: the note is no larger than what it replaces.
            if note is not None and estimate_message(system_note(note)) <= estimate_messages(
                window
            ):
                return note, length
            return None
    return None
