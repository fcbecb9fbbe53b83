"""The lines worth keeping in view when messages are dropped: what the user decided, settled
exchanges, errors seen, settings read. Cheap heuristics over text, no model."""

from __future__ import annotations

import re

from legion.llm.canonical import Message, ToolResultPart
from legion.llm.curation.distill_tool_result import MARK
from legion.llm.curation.fold_resolved_exchanges import NOTE_PREFIX
from legion.llm.curation.message_text import result_text
from legion.llm.curation.turns import starts_turn

MAX_LINE_CHARS = 240

_DECISION = re.compile(
    r"\b(?:decided?|decision|let's|we(?:'ll| will)|use|using|prefer|must|never|always|don't|"
    r"do not|keep|instead|deadline|required?|constraint|avoid|only)\b",
    re.IGNORECASE,
)
_ERROR_LINE = re.compile(r"^\s*(?:[\w.]+(?:Error|Exception)|error|fatal|FAILED)\b.*", re.IGNORECASE)
_VALUES = re.compile(r"^\[distilled [^\]]*\] ([^:;]+): .*?values ([^;]+)")


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_LINE_CHARS else text[: MAX_LINE_CHARS - 1] + "…"


def key_facts(messages: list[Message], limit: int = 16) -> list[str]:
    """Fact lines taken in turn from each kind (user decisions, resolved exchanges, errors,
    settings), earliest first, so that no kind crowds out the others."""
    decisions: list[str] = []
    exchanges: list[str] = []
    errors: list[str] = []
    values: list[str] = []
    for message in messages:
        if starts_turn(message):
            for sentence in re.split(r"(?<=[.!?])\s+|\n+", message.text()):
                if _DECISION.search(sentence) and len(sentence.split()) >= 3:
                    decisions.append("user: " + _clip(sentence))
        elif message.role == "system" and message.text().startswith(NOTE_PREFIX):
            exchanges.append(_clip(message.text()))
        for part in message.content:
            if not isinstance(part, ToolResultPart):
                continue
            text = result_text(part)
            if text.startswith(MARK):
                match = _VALUES.match(text)
                if match:
                    values.append(_clip(f"{match.group(1)}: {match.group(2)}"))
                if "errors: " in text:
                    errors.append(_clip(text.split("errors: ", 1)[1].split(";")[0]))
            else:
                found = [line for line in text.splitlines() if _ERROR_LINE.match(line)]
                if found:
                    errors.append(_clip(found[-1]))
    ordered: dict[str, None] = {}
    kinds = [decisions, exchanges, errors, values]
    for rank in range(max(map(len, kinds))):
        for kind in kinds:
            if rank < len(kind) and len(ordered) < limit:
                ordered.setdefault(kind[rank], None)
    return list(ordered)
