"""Tier 0 of `do`: tokenizing, BM25 ranking and when a match is clear enough to run."""

from __future__ import annotations

from typing import Any

from legion.mcp.intent import resolve, split_args
from legion.mcp.intent_index import Document, build_index, stem, tokenize


def test_stemming_joins_word_forms() -> None:
    assert stem("schedules") == stem("scheduled") == stem("schedule") == stem("scheduling")
    assert stem("ping") == stem("pings") == "ping"
    assert tokenize("Run the PING, please", query=True) == ["ping"]


def test_bm25_prefers_the_document_whose_name_holds_the_words() -> None:
    index = build_index(
        [
            Document("mail.send.email", "mail.send.email", "Send an email message."),
            Document("log.message.write", "log.message.write", "Write a message to the log."),
        ]
    )
    hits = index.search("write a log message")
    assert [h.name for h in hits] == ["log.message.write", "mail.send.email"]
    assert hits[0].coverage == 1.0 and hits[0].score > hits[1].score
    assert index.search("the and of") == []


def test_key_value_pairs_become_arguments() -> None:
    text, args = split_args('echo text="hi there" times=3 flag=true')
    assert text == "echo" and args == {"text": "hi there", "times": 3, "flag": True}


def test_an_exact_address_wins(backend: Any) -> None:
    intent = resolve("echo.echo.echo text=hi", backend.registry())
    assert intent.chosen == "echo.echo.echo" and intent.reason == "exact address"
    assert intent.args == {"text": "hi"}


def test_a_clear_lexical_match_is_chosen(backend: Any) -> None:
    intent = resolve("run a tick", backend.registry())
    assert intent.chosen == "clock.clock.tick" and intent.tier == 0


def test_missing_required_arguments_block_the_run(backend: Any) -> None:
    intent = resolve("echo.echo.echo", backend.registry())
    assert intent.chosen is None and "needs text" in intent.reason
    assert intent.candidates[0].missing == ["text"]


def test_nothing_matching_lists_nothing(backend: Any) -> None:
    intent = resolve("zebra crossing", backend.registry())
    assert intent.chosen is None and intent.candidates == []


def test_hidden_functions_are_never_candidates(backend: Any) -> None:
    intent = resolve("hidden", backend.registry())
    assert all(c.address != "echo.echo.hidden" for c in intent.candidates)
