"""Token estimates without a tokenizer download: about four characters of English per token.

Used where an exact count is not needed (context-window fit, count_tokens, curation thresholds);
the ledger records the provider's own counts whenever the provider reports them.
"""

from __future__ import annotations

from legion.llm.canonical import (
    ChatRequest,
    ImagePart,
    Message,
    Part,
    TextPart,
    ThinkingPart,
    ToolResultPart,
    ToolUsePart,
)

# Per-message framing overhead (role markers), as chat templates add.
MESSAGE_OVERHEAD = 4
IMAGE_TOKENS = 85


def estimate_text(text: str) -> int:
    if not text:
        return 0
    return max(1, (len(text) + 3) // 4)


def estimate_part(part: Part) -> int:
    if isinstance(part, TextPart | ThinkingPart):
        return estimate_text(part.text)
    if isinstance(part, ImagePart):
        return IMAGE_TOKENS
    if isinstance(part, ToolUsePart):
        return estimate_text(part.name) + estimate_text(part.arguments)
    if isinstance(part, ToolResultPart):
        return sum(estimate_part(p) for p in part.content)
    return 0


def estimate_message(message: Message) -> int:
    return MESSAGE_OVERHEAD + sum(estimate_part(p) for p in message.content)


def estimate_messages(messages: list[Message]) -> int:
    return sum(estimate_message(m) for m in messages)


def estimate_request(request: ChatRequest) -> int:
    """Input tokens of a request: messages plus tool definitions."""
    tools = sum(
        estimate_text(t.name)
        + estimate_text(t.description or "")
        + estimate_text(str(t.parameters))
        for t in request.tools
    )
    return estimate_messages(request.messages) + tools
