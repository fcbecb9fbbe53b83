"""The mock's pieces on their own: answers, chunking, continuation, fault parsing, the CLI."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest

from legion.llm.canonical import CONTINUE_PROMPT
from legion.llm.testing.faults import Fault, FaultBook
from legion.llm.testing.mock_answers import (
    Turn,
    answer_for,
    embedding,
    plan_reply,
    split_pieces,
)
from legion.llm.testing.mock_upstream import parse_fault


def test_answer_has_the_requested_word_count() -> None:
    assert answer_for("a b", 6) == "Echo: a b. word1 word2 word3"
    assert answer_for("one two three four five", 3) == "Echo: one two three four five."


def test_split_pieces_keeps_every_character() -> None:
    text = "Echo: x. word1 word2  word3 "
    assert "".join(split_pieces(text, None)) == text
    assert split_pieces("Echo: x. word1", None) == ["Echo:", " x.", " word1"]
    groups = split_pieces(text, 2)
    assert len(groups) == 2 and "".join(groups) == text
    assert split_pieces("", None) == []


def test_continue_prompt_is_never_the_prompt() -> None:
    turns = [
        Turn("user", "ask"),
        Turn("assistant", "Echo: ask. word1"),
        Turn("user", CONTINUE_PROMPT),
    ]
    reply = plan_reply(turns, tools=[], words=5, chunks=None)
    assert reply.text == " word2 word3"
    assert reply.pieces == [" word2", " word3"]
    assert reply.output_tokens == 2


def test_whole_answer_already_given_leaves_nothing() -> None:
    turns = [Turn("user", "ask"), Turn("assistant", answer_for("ask", 5))]
    reply = plan_reply(turns, tools=[], words=5, chunks=None)
    assert reply.text == "" and reply.pieces == [] and reply.output_tokens == 0


def test_tool_call_only_for_a_declared_tool() -> None:
    turns = [Turn("user", "call lookup please")]
    assert plan_reply(turns, tools=["lookup"], words=5, chunks=None).tool_name == "lookup"
    assert plan_reply(turns, tools=["other"], words=5, chunks=None).tool_name is None


def test_embedding_is_deterministic_and_sized() -> None:
    assert embedding("a", 8) == embedding("a", 8)
    assert embedding("a", 8) != embedding("b", 8)
    assert len(embedding("a", 100)) == 100
    assert all(-1 <= x < 1 for x in embedding("a", 100))


def test_fault_validation() -> None:
    with pytest.raises(ValueError):
        Fault("explode")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Fault.from_json({"mode": "hang", "colour": "red"})
    assert parse_fault("die_after:chunks=3,times=2") == Fault("die_after", chunks=3, times=2)
    assert parse_fault('{"mode": "status", "status": 429}') == Fault("status", status=429)
    assert parse_fault("hang") == Fault("hang")


def test_fault_book_consumes_times_and_keeps_the_callers_fault_intact() -> None:
    book = FaultBook(body_limit=2)
    original = Fault("status", status=500, times=1)
    book.set([original])
    assert book.take("/a", {"n": 1}).status is not None
    assert book.take("/a", {"n": 2}).status is None
    assert original.times == 1
    book.take("/b", {"n": 3})
    assert book.bodies() == [{"n": 2}, {"n": 3}]
    assert book.counts() == {"/a": 2, "/b": 1}


def test_command_line_serves_until_terminated() -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "legion.llm.testing.mock_upstream",
            "--port",
            "0",
            "--words",
            "5",
            "--fault",
            "status:status=503,times=1",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        body = {"model": "m", "messages": [{"role": "user", "content": "q"}]}
        assert httpx.post(url + "/v1/chat/completions", json=body).status_code == 503
        reply = httpx.post(url + "/v1/chat/completions", json=body).json()
        assert reply["choices"][0]["message"]["content"] == answer_for("q", 5)
    finally:
        process.terminate()
        assert process.wait(10) == 0
