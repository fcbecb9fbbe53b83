from __future__ import annotations

import threading
from typing import Any

from legion.llm.canonical import Message, TextPart
from legion.llm.curation.history_store import HistoryStore, fingerprint


def _msgs(*texts: str) -> list[Message]:
    return [
        Message("user" if i % 2 == 0 else "assistant", [TextPart(t)]) for i, t in enumerate(texts)
    ]


def test_known_prefix_replaced_by_curated_version() -> None:
    store = HistoryStore()
    raw = _msgs("a", "b", "c", "d")
    curated = [Message("system", [TextPart("[Archived a, b]")]), *raw[2:]]
    store.store("conv", raw, curated)
    incoming = [*_msgs("a", "b", "c", "d"), *_msgs("e")]  # equal content, new objects
    assert store.apply("conv", incoming) == [*curated, incoming[-1]]
    assert store.apply("conv", _msgs("a", "b", "c", "d")) == curated


def test_no_match_leaves_messages_unchanged() -> None:
    store = HistoryStore()
    store.store("conv", _msgs("a", "b", "c"), _msgs("x"))
    edited = _msgs("a", "B", "c", "d")
    assert store.apply("conv", edited) is edited
    shorter = _msgs("a", "b")
    assert store.apply("conv", shorter) is shorter
    assert store.apply("other", edited) is edited


def test_fingerprint_sees_roles_and_boundaries() -> None:
    assert fingerprint(_msgs("ab")) != fingerprint(
        [Message("user", [TextPart("a"), TextPart("b")])]
    )
    assert fingerprint(_msgs("a")) != fingerprint([Message("system", [TextPart("a")])])
    assert fingerprint(_msgs("a", "b")) == fingerprint(_msgs("a", "b"))


def test_lru_bound_and_ttl() -> None:
    now = [0.0]
    store = HistoryStore(max_conversations=2, ttl_seconds=60, clock=lambda: now[0])
    store.store("a", _msgs("1"), _msgs("x"))
    store.store("b", _msgs("1"), _msgs("y"))
    store.apply("a", _msgs("1"))  # a is now the most recently used
    store.store("c", _msgs("1"), _msgs("z"))
    assert "a" in store and "c" in store and "b" not in store and len(store) == 2
    now[0] = 59.0
    store.apply("c", _msgs("1"))
    now[0] = 61.0
    assert "a" not in store and "c" in store


def test_concurrent_use_keeps_the_bound() -> None:
    store = HistoryStore(max_conversations=50)
    errors: list[Any] = []

    def work(worker: int) -> None:
        try:
            for i in range(200):
                store.store(f"{worker}-{i}", _msgs("q"), _msgs("r"))
                store.apply(f"{worker}-{i}", _msgs("q", "next"))
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len(store) == 50
