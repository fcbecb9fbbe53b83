from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from legion.llm.curation import STRATEGIES, Archive, CurationSettings, Curator
from legion.llm.curation.message_text import full_text
from legion.llm.curation.tool_pairing import unpaired
from legion.llm.curation.turns import recent_start


@pytest.fixture(scope="module")
def corpus() -> Any:
    """The generated agent-session corpus."""
    from legion.llm.testing import agent_sessions

    return agent_sessions


def _session(c: Any) -> Any:
    c.system("You are a coding agent.")
    c.user("We decided to use msgspec for serialization instead of pydantic.")
    c.assistant("Understood.", thinking="The user wants msgspec.")
    c.tool("read_file", {"path": "src/app/config.py"}, "POOL_SIZE = 17\n" + "x = 1\n" * 600)
    c.system("<system-reminder>Use the todo list.</system-reminder>")
    c.user("Run the tests.")
    c.tool(
        "run_command", {"command": "pytest"}, "ok\n" * 900 + "ValueError: bad pool\nexit code: 1"
    )
    c.assistant("<thinking>hmm</thinking>One failure: ValueError: bad pool.")
    c.user("Read the config again.")
    c.tool("read_file", {"path": "src/app/config.py"}, "POOL_SIZE = 18\n" + "x = 1\n" * 600)
    c.assistant("Now 18.", thinking="recent reasoning stays")
    return c


def test_disabled_changes_nothing(convo: Any) -> None:
    messages = _session(convo()).messages
    result = Curator(CurationSettings(enabled=False)).curate("c", messages)
    assert result.messages == messages and result.tokens_after == result.tokens_before


def test_old_turns_shrink_recent_turns_verbatim_input_untouched(
    convo: Any, assert_paired: Any
) -> None:
    messages = _session(convo()).messages
    snapshot = copy.deepcopy(messages)
    settings = CurationSettings(enabled=True, preserve_recent_turns=1)
    result = Curator(settings).curate("c", messages)
    assert messages == snapshot
    cut = recent_start(messages, 1)
    recent = messages[cut:]
    assert result.messages[-len(recent) :] == recent
    assert all(a is b for a, b in zip(result.messages[-len(recent) :], recent, strict=True))
    assert result.tokens_after < result.tokens_before
    assert set(result.saved_by_strategy) == set(STRATEGIES)
    assert sum(result.saved_by_strategy.values()) == result.tokens_before - result.tokens_after
    assert result.saved_by_strategy["strip_thinking"] > 0
    assert result.saved_by_strategy["distill_tool_result"] > 0
    assert result.saved_by_strategy["strip_harness_noise"] > 0
    text = "\n".join(full_text(m) for m in result.messages)
    assert "<system-reminder>" not in text and "The user wants msgspec" not in text
    assert "ValueError: bad pool" in text and "exit 1" in text
    assert "superseded by a later read of src/app/config.py" in text
    assert "msgspec for serialization" in text
    assert_paired(result.messages)


def test_long_generated_session(corpus: Any, tmp_path: Path) -> None:
    session = next(s for s in corpus.generate(seed=3, per_bucket=2) if s.turns >= 50)
    settings = CurationSettings(enabled=True, target_context_tokens=20000, archive_dir=tmp_path)
    curator = Curator(settings)
    result = curator.curate(session.id, session.messages)
    assert result.tokens_before > 100000 and result.tokens_after < result.tokens_before / 4
    assert result.tokens_after <= 20000 + 10000  # the kept tail may exceed the target a little
    assert result.archived_count > 0 and unpaired(result.messages) == set()
    archived = [m for batch in Archive(tmp_path).read(session.id) for m in batch.messages]
    for fact in session.facts:
        found = [
            m
            for m in [*result.messages, *archived]
            if all(e in full_text(m) for e in fact.evidence)
        ]
        assert found, fact
    assert any(fact.answer in result.messages[1].text() for fact in session.facts)


def test_every_generated_session_stays_valid(corpus: Any) -> None:
    curator = Curator(CurationSettings(enabled=True, target_context_tokens=15000))
    for session in corpus.generate(seed=11, per_bucket=2):
        result = curator.curate(session.id, session.messages)
        assert unpaired(result.messages) == unpaired(session.messages) == set()
        cut = recent_start(session.messages, 2)
        assert (
            result.messages[len(result.messages) - (len(session.messages) - cut) :]
            == (session.messages[cut:])
        )
        assert result.tokens_after <= result.tokens_before
        assert not any(m.role == "assistant" and not m.content for m in result.messages)


def test_corpus_is_deterministic_and_spans_the_buckets(corpus: Any) -> None:
    first = corpus.generate(seed=5, per_bucket=1)
    again = corpus.generate(seed=5, per_bucket=1)
    assert [s.messages for s in first] == [s.messages for s in again]
    assert sorted(corpus.bucket_of(s.turns) for s in first) == sorted(
        corpus.bucket_label(low, high) for low, high in corpus.BUCKETS
    )
    assert all(s.facts for s in first)
