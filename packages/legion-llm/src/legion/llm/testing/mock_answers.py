"""The mock upstream's deterministic answers, independent of wire format: what to say, in which
chunks, and how many tokens it cost. Tests compute the same text with `answer_for`."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import struct
from dataclasses import dataclass, field

from legion.llm.canonical import CONTINUE_PROMPT

_PIECE = re.compile(r"\s*\S+|\s+$")


@dataclass(slots=True)
class Turn:
    """One message reduced to what the mock reads: its role, its text, whether it returns tools."""

    role: str
    text: str
    tool_result: bool = False


@dataclass(slots=True)
class Reply:
    """What the mock answers: text in pieces, or one tool call with its arguments in fragments."""

    text: str = ""
    pieces: list[str] = field(default_factory=list)
    tool_name: str | None = None
    arguments: str = ""
    fragments: list[str] = field(default_factory=list)
    truncated: bool = False
    input_tokens: int = 0
    output_tokens: int = 0


def answer_for(prompt: str, words: int) -> str:
    """`Echo: <prompt>.` then numbered filler words until the answer has `words` words."""
    head = f"Echo: {prompt}."
    filler = max(0, words - len(head.split()))
    return head + "".join(f" word{i}" for i in range(1, filler + 1))


def split_pieces(text: str, chunks: int | None) -> list[str]:
    """The text as stream chunks: one word (with its leading space) each, or `chunks` groups."""
    words = _PIECE.findall(text)
    if not words:
        return [text] if text else []
    if chunks is None or chunks >= len(words):
        return words
    count = max(1, chunks)
    size, extra = divmod(len(words), count)
    pieces: list[str] = []
    start = 0
    for i in range(count):
        end = start + size + (1 if i < extra else 0)
        pieces.append("".join(words[start:end]))
        start = end
    return pieces


def count_words(text: str) -> int:
    return len(text.split())


def _fragments(arguments: str) -> list[str]:
    """Tool arguments cut into a few fragments, as real upstreams stream them."""
    step = max(1, len(arguments) // 4)
    return [arguments[i : i + step] for i in range(0, len(arguments), step)]


def plan_reply(
    turns: list[Turn],
    *,
    tools: list[str],
    words: int,
    chunks: int | None,
    max_tokens: int | None = None,
) -> Reply:
    """The reply to a conversation: a tool call when asked for one, else the echo answer, or only
    the rest of it when the conversation ends in a partial assistant answer to continue."""
    input_tokens = sum(count_words(t.text) for t in turns)
    index = next(
        (
            i
            for i in range(len(turns) - 1, -1, -1)
            if turns[i].role == "user" and turns[i].text != CONTINUE_PROMPT
        ),
        None,
    )
    prompt = turns[index].text if index is not None else ""
    prompt_turn = turns[index] if index is not None else None
    if prompt_turn is not None and not prompt_turn.tool_result:
        for name in tools:
            if f"call {name}" in prompt:
                arguments = json.dumps({"echo": prompt})
                return Reply(
                    tool_name=name,
                    arguments=arguments,
                    fragments=_fragments(arguments),
                    input_tokens=input_tokens,
                    output_tokens=max(1, count_words(arguments)),
                )
    text = answer_for(prompt, words)
    if index is not None:
        partial = next(
            (t.text for t in reversed(turns[index + 1 :]) if t.role == "assistant" and t.text),
            None,
        )
        if partial is not None and text.startswith(partial.rstrip()):
            text = text[len(partial.rstrip()) :]
    truncated = False
    if max_tokens is not None and count_words(text) > max_tokens:
        text = "".join(_PIECE.findall(text)[: max(0, max_tokens)])
        truncated = True
    return Reply(
        text=text,
        pieces=split_pieces(text, chunks),
        truncated=truncated,
        input_tokens=input_tokens,
        output_tokens=count_words(text),
    )


def embedding(text: str, dimensions: int) -> list[float]:
    """A deterministic vector from the text's hash; every value is exact in float32."""
    digest = b""
    counter = 0
    while len(digest) < dimensions:
        digest += hashlib.sha256(f"{counter}:{text}".encode()).digest()
        counter += 1
    return [(b - 128) / 128 for b in digest[:dimensions]]


def embedding_base64(vector: list[float]) -> str:
    """The vector as OpenAI's `encoding_format=base64` sends it: little-endian float32."""
    return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
